# Type stubs of the blockhub package (the native module blockhub._native).
import asyncio
import builtins
import enum
from types import TracebackType
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

Key = Union[bytes, bytearray, memoryview, int]
Keys = Union[Sequence[Key], npt.NDArray[np.uint64], npt.NDArray[np.uint8]]
EntryLike = Union["Entry", Tuple[Key, bytes], Tuple[Key, bytes, Optional[bytes]]]

class Error(Exception):
    code: str
    message: str

class TimeoutError(Error, builtins.TimeoutError): ...
class HubError(Error):
    hub_code: Optional[int]

class InvalidArgumentError(Error, ValueError): ...
class UnavailableError(Error, ConnectionError): ...

class OffloadStatus(enum.IntEnum):
    GRANTED = 0
    ALREADY_STORED = 1
    LEASED = 2

class RegisterStatus(enum.IntEnum):
    STORED = 0
    ALREADY_STORED = 1
    REJECTED = 2

class RenewStatus(enum.IntEnum):
    RENEWED = 0
    NOT_HELD = 1
    ALREADY_STORED = 2

class Entry(NamedTuple):
    key: Any
    value: bytes
    metadata: bytes

class HelloInfo(NamedTuple):
    lease_ttl_ms: int
    key_format: str
    max_batch_keys: int
    capacity: int
    hub_version: str

class CanOffloadResult:
    @property
    def statuses(self) -> Union[list[OffloadStatus], npt.NDArray[np.uint8]]: ...
    @property
    def granted(self) -> Union[list[Key], npt.NDArray[Any]]: ...
    @property
    def already_stored(self) -> Union[list[Key], npt.NDArray[Any]]: ...
    @property
    def leased(self) -> Union[list[Key], npt.NDArray[Any]]: ...
    @property
    def granted_indices(self) -> Union[list[int], npt.NDArray[np.intp]]: ...
    @property
    def already_stored_indices(self) -> Union[list[int], npt.NDArray[np.intp]]: ...
    @property
    def leased_indices(self) -> Union[list[int], npt.NDArray[np.intp]]: ...
    @property
    def lease_ttl_ms(self) -> int: ...
    def __len__(self) -> int: ...

class Client:
    def __init__(
        self,
        *,
        query_addr: Optional[str] = ...,
        register_addr: Optional[str] = ...,
        client_id: Optional[Union[int, str]] = ...,
        timeout_ms: Optional[int] = ...,
        protocol: Optional[int] = ...,
        namespace: Optional[str] = ...,
        batch_size: Optional[int] = ...,
        batch_timeout_ms: Optional[int] = ...,
        hwm: Optional[int] = ...,
        max_pending_registrations: Optional[int] = ...,
        local_cache: Optional[int] = ...,
        local_cache_ttl_ms: Optional[int] = ...,
        events_addr: Optional[str] = ...,
    ) -> None: ...
    @staticmethod
    def from_env() -> "Client": ...
    def can_offload(self, keys: Keys) -> CanOffloadResult: ...
    def can_offload_async(self, keys: Keys) -> "asyncio.Future[CanOffloadResult]": ...
    def can_offload_many(self, batches: Iterable[Keys], inflight: int = 16) -> List[CanOffloadResult]: ...
    def register(self, entries: Sequence[EntryLike]) -> None: ...
    def register_sync(self, entries: Sequence[EntryLike]) -> list[RegisterStatus]: ...
    def register_sync_async(self, entries: Sequence[EntryLike]) -> "asyncio.Future[list[RegisterStatus]]": ...
    def match(self, keys: Keys, prefix: bool = False) -> list[Entry]: ...
    def match_async(self, keys: Keys, prefix: bool = False) -> "asyncio.Future[list[Entry]]": ...
    def remove(self, keys: Keys) -> int: ...
    def touch(self, keys: Keys) -> int: ...
    def renew(self, keys: Keys) -> Union[list[RenewStatus], npt.NDArray[np.uint8]]: ...
    def release(self, keys: Keys) -> int: ...
    def hello(self, name: Optional[str] = None, metadata: Optional[bytes] = None) -> HelloInfo: ...
    def stats(self) -> dict[str, int]: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Client": ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    @property
    def client_id(self) -> int: ...
    @property
    def protocol(self) -> int: ...
    @property
    def epoch_changes(self) -> int: ...
    @property
    def counters(self) -> dict[str, int]: ...
