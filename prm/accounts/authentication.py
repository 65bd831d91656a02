"""DRF authentication by tenant API key: `Authorization: Bearer <key>`."""

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiKey, User
from .services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, key = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        key = key.strip()
        if not key:
            raise exceptions.AuthenticationFailed(
                "The Authorization header has no key after Bearer."
            )
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            # Keys live in their tenant's schema, so a key of another tenant lands here.
            raise exceptions.AuthenticationFailed(
                "This API key is not valid for this tenant, or it has been revoked."
            )
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'
