"""
Readers' comments on the published results: the form, its defences against
spam (none of which asks a third party), moderation by staff, one email to
staff when comments wait, and the removal of commenters' email addresses.
"""
