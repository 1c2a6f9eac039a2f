"""The web pages: the facilitator's console, the room view, the participant's page and
the review page, served by the same app as the JSON API (:func:`api.web.mount.install`).

Everything here is presentation. The pages' JavaScript calls the existing JSON API with
the session cookie that :mod:`api.web.session` sets when an invite link is opened.
"""
