"""Redis store: budgets shared by many machines. Every operation is one Lua script (atomic on
the server) running the same steps as `LocalStore`; keys expire with their window.

Restarts: the client reconnects, and a retried script is applied once (each operation carries
an id whose result the server remembers for an hour). Data loss is detected, never papered
over: the store writes an epoch key when it first connects, and if that key is gone (Redis
restarted without persistence, was flushed, or evicted it) every operation raises
`StoreUnavailable` instead of counting from zero, until the application accepts the loss with
`RedisStore.reopen` (or opens a new store). Run Redis with persistence (``appendonly yes``) for
budgets to survive restarts. A server that may evict keys (``maxmemory-policy`` other than
``noeviction``) is refused when the store opens: it would drop counters, which expire, and keep
the epoch, which does not, so a budget would silently start again from zero. Every Redis error
(unreachable, out of memory, read-only replica, ...) is `StoreUnavailable`. Single-node or one
shard only (keys of one operation must be on one node).
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import ConfigError
from ..extras import need
from .base import Item, Outcome, StoreUnavailable, Window

_SCRIPT = """
local mode, now, epoch = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if redis.call('GET', KEYS[1]) ~= epoch then
  return redis.error_reply('GUARDLAYER_EPOCH budget data lost')
end
if mode ~= 'usage' then
  local done = redis.call('GET', KEYS[2])
  if done then return done end
end
local items, k, a = {}, 3, 4
while a <= #ARGV do
  local it = {kind = ARGV[a], amount = tonumber(ARGV[a + 3]), raw = ARGV[a + 3],
              ttl = tonumber(ARGV[a + 4])}
  if it.kind == 'w' then
    it.keys = {}
    for i = 0, tonumber(ARGV[a + 1]) - 1 do it.keys[#it.keys + 1] = KEYS[k + i] end
    k = k + #it.keys
    it.cap = tonumber(ARGV[a + 2])
  else
    it.key, it.cap, it.rate = KEYS[k], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    k = k + 1
  end
  items[#items + 1] = it
  a = a + 5
end
local function bucket(it)
  local s = redis.call('HMGET', it.key, 'level', 'ts')
  local level, ts = tonumber(s[1]), tonumber(s[2])
  if not level then return it.cap, now end
  if now <= ts then return level, ts end
  return math.min(it.cap, level + (now - ts) * it.rate), now
end
local function current()
  local used = {}
  for i, it in ipairs(items) do
    if it.kind == 'w' then
      local s = 0
      for _, key in ipairs(it.keys) do s = s + (tonumber(redis.call('GET', key)) or 0) end
      used[i] = s
    else
      used[i] = it.cap - bucket(it)
    end
  end
  return used
end
local function encode(granted, denied, used)
  local out = {granted, denied}
  for _, u in ipairs(used) do out[#out + 1] = string.format('%.17g', u) end
  return table.concat(out, ' ')
end
local used = current()
if mode == 'usage' then return encode(1, -1, used) end
if mode == 'reserve' then
  for i, it in ipairs(items) do
    if used[i] + it.amount > it.cap or (it.amount <= 0 and used[i] >= it.cap) then return encode(0, i - 1, used) end
  end
end
for _, it in ipairs(items) do
  if it.kind == 'w' then
    if it.amount ~= 0 then
      local target = it.keys[#it.keys]
      redis.call('INCRBY', target, it.raw)
      if it.ttl >= 0 then redis.call('EXPIRE', target, math.max(1, it.ttl)) end
    end
  else
    local level, ts = bucket(it)
    redis.call('HSET', it.key, 'level', string.format('%.17g', math.min(it.cap, level - it.amount)),
               'ts', string.format('%.17g', ts))
    redis.call('EXPIRE', it.key, math.max(1, it.ttl))
  end
end
local result = encode(1, -1, current())
redis.call('SET', KEYS[2], result, 'EX', 3600)
return result
"""


class RedisStore:
    def __init__(self, url: str = "redis://localhost:6379/0", *, namespace: str = "gl",
                 socket_timeout: float = 5.0, retries: int = 3) -> None:
        redis = need("redis", "redis", "the Redis budget store")
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self._redis_error = redis.exceptions.RedisError
        self._response_error = redis.exceptions.ResponseError
        self.url = url
        self.shown = _without_password(url)  # what messages and logs show
        self.client = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries),
            retry_on_error=list(self._errors))
        self._script = self.client.register_script(_SCRIPT)
        self._epoch_key = f"{{{namespace}}}:epoch"
        self._op_prefix = f"{{{namespace}}}:op:"
        try:
            self.epoch = self._open()
        except BaseException:
            self.client.close()
            raise

    def _open(self) -> str:
        """Check the server keeps every key, then take its epoch (writing one if it has none)."""
        policy = self._call(self._eviction_policy)
        if policy != "noeviction":
            raise ConfigError(f"Redis server {self.shown} has maxmemory-policy {policy!r}: it may "
                              "evict budget counters (they expire) and keep the store's epoch, so budgets "
                              "would silently start again from zero; set maxmemory-policy "
                              "noeviction (budgets need a server of their own if other data needs "
                              "eviction)")
        return self._call(self._open_epoch)  # type: ignore[no-any-return]

    def _eviction_policy(self) -> str:
        """The server's ``maxmemory-policy``: from CONFIG GET, or INFO where CONFIG is disabled
        (renamed or denied, as on many managed services)."""
        try:
            return str(self.client.config_get("maxmemory-policy")["maxmemory-policy"])
        except (self._response_error, KeyError):
            pass
        try:
            return str(self.client.info("memory").get("maxmemory_policy", "unknown"))
        except self._response_error as exc:  # an ACL user without +info and +config|get
            raise ConfigError(f"Redis budget store {self.shown}: cannot read the server's "
                              f"maxmemory-policy ({exc}); let this user run INFO (ACL +info) or "
                              "CONFIG GET, so the store can check that budget counters are never "
                              "evicted") from exc

    def _open_epoch(self) -> str:
        self.client.set(self._epoch_key, uuid.uuid4().hex, nx=True)
        return self.client.get(self._epoch_key).decode()

    def reopen(self) -> None:
        """Accept what the server holds now after it lost its data (`StoreUnavailable`: "lost
        its data"): spending counts again from the server's counts, as in a newly opened store."""
        self.epoch = self._open()

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except self._errors as exc:
            raise StoreUnavailable(f"Redis budget store {self.shown} is unreachable: {exc}") from exc
        except self._redis_error as exc:
            if "GUARDLAYER_EPOCH" in str(exc):
                raise StoreUnavailable(
                    f"Redis budget store {self.shown} lost its data (restarted without persistence, "
                    "flushed or evicted); budgets cannot be trusted until the application "
                    "accepts the loss with budget.store.reopen() or opens the store again") from exc
            raise StoreUnavailable(f"Redis budget store {self.shown} refused the operation: {exc}") from exc

    def _run(self, mode: str, items: Sequence[Item], now: float, op_id: str) -> Outcome:
        keys = [self._epoch_key, self._op_prefix + (op_id or uuid.uuid4().hex)]
        args: list[Any] = [mode, repr(now), self.epoch]
        for item in items:
            ttl = -1 if (isinstance(item, Window) and item.ttl is None) else item.ttl
            if isinstance(item, Window):
                keys.extend(item.keys)
                args.extend(["w", len(item.keys), item.limit, item.amount, ttl])
            else:
                keys.append(item.key)
                args.extend(["b", repr(item.capacity), repr(item.rate), item.amount, ttl])
        reply = self._call(self._script, keys, args).decode().split()
        denied = int(reply[1])
        return Outcome(reply[0] == "1", tuple(float(u) for u in reply[2:]),
                       None if denied < 0 else denied)

    def reserve(self, items: Sequence[Item], now: float, op_id: str) -> Outcome:
        return self._run("reserve", items, now, op_id)

    def adjust(self, items: Sequence[Item], now: float, op_id: str) -> Outcome:
        return self._run("adjust", items, now, op_id)

    def usage(self, items: Sequence[Item], now: float) -> tuple[float, ...]:
        return self._run("usage", items, now, "").used

    def close(self) -> None:
        self.client.close()


def _without_password(url: str) -> str:
    """``url`` with its password, if any, written as ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
