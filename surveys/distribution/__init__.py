"""
Distribution: everything between a regional lead's participant list and an
official's inbox, and back.

A lead imports a list (imports.py reads it, addresses.py cleans each
address, participants.py stores it), looks after the people in it
(views.py, forms.py, selectors.py, access.py decides who may touch what),
and sends invitations and reminders: queueing.py says who is due and writes
one OutgoingEmail row per person and wave, sending.py sends the rows under
the delivery guarantee described at its top (at most once per person and
wave) at the pace pacing.py allows (limits, pauses, fair shares), replies.py
reads what the server answered, smtp.py signs in, emails.py builds each
message, and sweep.py is what the periodic
tick does. purge.py removes personal data after the survey.

Answering (surveys/services.py) asks distribution one thing, by name: which
email brought an answer (selectors.wave_that_reached). The models stay in
surveys/models.py, under the surveys app label; Celery's tasks stay in
surveys/tasks.py and the commands in surveys/management/, and call in here.
"""
