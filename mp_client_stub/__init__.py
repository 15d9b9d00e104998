"""A scripted stand-in for the mobile app: plays the whole journey over HTTP only.

It imports nothing from the server's packages (``app``, ``schemas``, ``jobs``) nor from
``tests``; it talks to the API the way the 湘易办 mini-program would. Run::

    python -m mp_client_stub demo [--base-url URL] [--timeout SECONDS] [--password P]
"""

__all__ = ["ApiClient", "ApiError", "ServerUnreachable"]

from mp_client_stub.client import ApiClient, ApiError, ServerUnreachable
