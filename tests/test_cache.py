"""The Redis cache keeps one client per connection pool and works as Django's does."""

from django.core.cache import caches

from .conftest import need


def test_one_redis_client_serves_every_call(redis_url):
    cache = caches["default"]
    need(type(cache).__module__ == "msi_survey.cache", "the Redis cache (set REDIS_URL)")
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    cache.set("greeting", {"sv": "hej"}, 30)
    assert cache.get("greeting") == {"sv": "hej"}
    assert cache.add("counter", 1, 30) and cache.incr("counter") == 2
    assert cache._cache.get_client() is client
