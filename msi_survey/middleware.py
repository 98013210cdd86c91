from django.conf import settings
from django.utils import translation


class SwedishFirstLocaleMiddleware:
    """
    Activate Swedish unless the visitor chose another language.

    Django's LocaleMiddleware would follow the browser's Accept-Language
    header, and most browsers in Swedish offices say English. Our users are
    Swedish civil servants, so the choice is explicit: the language cookie set
    by the language switch (msi_survey.views.language), or Swedish.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.headers.get("Vary", "")
        if "Cookie" not in patch_vary:
            response.headers["Vary"] = f"{patch_vary}, Cookie" if patch_vary else "Cookie"
        return response
