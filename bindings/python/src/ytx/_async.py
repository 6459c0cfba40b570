"""``ytx.AsyncClient``: the same operations as :class:`ytx.Client`, awaitable.

Each call that goes to the network runs the blocking library call in a
worker thread of the client's own executor (``loop.run_in_executor``; ctypes
releases the GIL while the C function runs, so calls in different threads run
in parallel and the event loop keeps running). That executor is the client's,
never the loop's default one: a call waits seconds on the network, and the
default executor (``min(32, cpu + 4)`` threads) is shared with asyncio's own
DNS lookups (``getaddrinfo``) and every ``asyncio.to_thread``; with it, 50
one-second calls took 9 s on 2 cores and starved the lookups. Its size is
``max_workers`` (default :data:`DEFAULT_MAX_WORKERS`, 64: tens of calls can
wait at once; threads are started only as calls need them), and closing the
client shuts it down. The dry runs (``prepare_*``) send nothing and return at
once; they are awaitable too, for symmetry, and run on the loop's thread.

Cancellation stops the *waiting*, never the call: a request already handed
to the library is sent and finished in its worker thread (the library sends
a request at most once and cannot withdraw it), and its result is dropped.
So after a cancelled ``await client.callback_call(...)`` the call may well
have been placed: resolve it as an outcome unknown (``find_call`` with the
call's ``custom_parm``), never by placing it again blindly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from typing import Any, Callable, List, Optional, TypeVar, Union, Unpack

from . import _native, _records
from ._client import Accepted, CallbackOptions, Client, PreparedRequest
from ._errors import YtxError
from ._resolve import Resolution

__all__ = ["AsyncClient", "DEFAULT_MAX_WORKERS"]

T = TypeVar("T")

#: How many calls an :class:`AsyncClient` runs at once by default (the
#: threads of its own executor; the rest queue). Threads start only as calls
#: need them and end when the client is closed.
DEFAULT_MAX_WORKERS = 64


class AsyncClient:
    """An asyncio client for the ytx.net voice platform.

    Takes the same arguments as :class:`ytx.Client` (making it sends
    nothing, so the constructor is not a coroutine), plus:

    - ``max_workers``: how many calls may be in flight at once (default
      :data:`DEFAULT_MAX_WORKERS`, 64); the client runs them in a
      :class:`concurrent.futures.ThreadPoolExecutor` of its own, never in the
      event loop's default executor, and shuts it down when closed.
    - ``executor``: a :class:`concurrent.futures.Executor` of yours to run
      them in instead (then ``max_workers`` must not be given, and closing the
      client leaves your executor alone).

    Raises the same exceptions as :class:`ytx.Client`. Use ``async with`` or
    :meth:`aclose`.

    ``AsyncClient(client=existing)`` wraps an existing :class:`ytx.Client`
    instead (closing the AsyncClient closes it).
    """

    def __init__(
        self,
        account_sid: Optional[str] = None,
        auth_token: Optional[str] = None,
        app_id: Optional[str] = None,
        *,
        client: Optional[Client] = None,
        executor: Optional[concurrent.futures.Executor] = None,
        max_workers: Optional[int] = None,
        **options: Any,
    ) -> None:
        if executor is not None and max_workers is not None:
            raise TypeError("AsyncClient: give executor or max_workers, not both")
        if max_workers is not None and (
            isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1
        ):
            raise ValueError(f"max_workers: must be a positive int, got {max_workers!r}")
        if client is not None:
            if account_sid is not None or auth_token is not None or app_id is not None or options:
                raise TypeError("AsyncClient(client=...) takes no other client argument")
            if not isinstance(client, Client):
                raise TypeError(f"client: must be a ytx.Client, got {type(client).__name__}")
            self._client = client
        else:
            self._client = Client(account_sid, auth_token, app_id, **options)  # type: ignore[arg-type]
        self._owns_executor = executor is None
        self._executor: concurrent.futures.Executor = (
            executor
            if executor is not None
            else concurrent.futures.ThreadPoolExecutor(
                max_workers=max_workers or DEFAULT_MAX_WORKERS, thread_name_prefix="ytx-async"
            )
        )

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        # The caller's context (contextvars) goes along, as asyncio.to_thread does.
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        if self._owns_executor and self._client.closed:
            # The executor is shut down with the client: the call raises
            # ytx.ClientClosed at once, here, as it would in a worker.
            return call()
        return await loop.run_in_executor(self._executor, call)

    # -- the operations ---------------------------------------------------------

    async def callback_call(
        self, src: str, dst: str, credit: int, **options: Unpack[CallbackOptions]
    ) -> Accepted:
        """:meth:`ytx.Client.callback_call` in a worker thread (see the module docs
        on cancellation: the call, once started, is not withdrawn)."""
        return await self._run(self._client.callback_call, src, dst, credit, **options)

    async def prepare_callback_call(
        self, src: str, dst: str, credit: int, **options: Unpack[CallbackOptions]
    ) -> PreparedRequest:
        """:meth:`ytx.Client.prepare_callback_call` (sends nothing: no thread)."""
        return self._client.prepare_callback_call(src, dst, credit, **options)

    async def voice_code(
        self, dst: str, dstclid: Optional[str], code: str, *, times: Optional[int] = None
    ) -> Accepted:
        """:meth:`ytx.Client.voice_code` in a worker thread."""
        return await self._run(self._client.voice_code, dst, dstclid, code, times=times)

    async def prepare_voice_code(
        self, dst: str, dstclid: Optional[str], code: str, *, times: Optional[int] = None
    ) -> PreparedRequest:
        """:meth:`ytx.Client.prepare_voice_code` (sends nothing: no thread)."""
        return self._client.prepare_voice_code(dst, dstclid, code, times=times)

    async def call_record(
        self, request_id: str, *, fid: Optional[str] = None
    ) -> Optional[_records.CallRecord]:
        """:meth:`ytx.Client.call_record` in a worker thread."""
        return await self._run(self._client.call_record, request_id, fid=fid)

    async def call_records_after(
        self, request_id: str, limit: int = 100, *, fid: Optional[str] = None
    ) -> List[_records.CallRecord]:
        """:meth:`ytx.Client.call_records_after` in a worker thread."""
        return await self._run(self._client.call_records_after, request_id, limit, fid=fid)

    async def find_call(
        self, custom_parm: str, *, after_request_id: str, fid: Optional[str] = None
    ) -> Optional[_records.CallRecord]:
        """:meth:`ytx.Client.find_call` in a worker thread (up to 100 queries)."""
        return await self._run(
            self._client.find_call, custom_parm, after_request_id=after_request_id, fid=fid
        )

    async def resolve(
        self,
        err_or_ticket: Union[YtxError, str],
        *,
        cursor: Optional[str] = None,
        deadline: Optional[float] = None,
        max_pages: Optional[int] = None,
    ) -> Resolution:
        """:meth:`ytx.Client.resolve` in a worker thread."""
        return await self._run(
            self._client.resolve, err_or_ticket, cursor=cursor, deadline=deadline,
            max_pages=max_pages,
        )

    async def balance(self) -> _records.Balance:
        """:meth:`ytx.Client.balance` in a worker thread."""
        return await self._run(self._client.balance)

    # -- lifecycle --------------------------------------------------------------

    def close(self) -> None:
        """Release the native client (as :meth:`ytx.Client.close`): calls still
        running in worker threads finish normally; later ones raise
        :class:`ytx.ClientClosed`. The client's own executor is shut down
        (its threads end as their calls finish; this does not wait for them);
        an executor passed in is left alone."""
        self._client.close()
        if self._owns_executor:
            self._executor.shutdown(wait=False)

    async def aclose(self) -> None:
        """:meth:`close`, as a coroutine (for ``contextlib.aclosing``)."""
        self.close()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._client.closed

    @property
    def executor(self) -> concurrent.futures.Executor:
        """The executor the calls run in (the client's own unless one was given)."""
        return self._executor

    @property
    def client(self) -> Client:
        """The :class:`ytx.Client` the calls run on."""
        return self._client

    @property
    def account_sid(self) -> str:
        return self._client.account_sid

    @property
    def app_id(self) -> str:
        return self._client.app_id

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def library(self) -> _native.NativeLibrary:
        return self._client.library

    def __repr__(self) -> str:
        return "<ytx.AsyncClient " + repr(self._client)[len("<ytx.Client "):]

    def __reduce__(self) -> Any:
        raise TypeError("a ytx.AsyncClient holds a native handle and cannot be pickled or copied")
