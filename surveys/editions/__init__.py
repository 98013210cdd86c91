"""
Editions: the same survey asked again. Surveys belong to a Series; areas are
matched across editions by their code. An earlier edition whose answers are
not in the application is known from its published table (PublishedFigure).
"""
