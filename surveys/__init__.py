"""
The survey app: the domain every part shares (models.py) and answering, an
official's ranking behind a personal link (forms.py, views.py,
services.py). Distribution, the leads' side, is the subpackage
surveys/distribution/; results are the results app.
"""
