from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import selectors
        from .models import Area

        # The answer form's areas are kept in the cache; a change forgets them.
        post_save.connect(selectors.forget_areas, sender=Area, dispatch_uid="forget-areas-saved")
        post_delete.connect(selectors.forget_areas, sender=Area, dispatch_uid="forget-areas-deleted")
