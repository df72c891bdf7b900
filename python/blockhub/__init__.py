"""blockhub: the Python client of the blockhub deduplication hub.

A thin binding over the C++ client library (``blockhub._native``). Start with ``help(Client)``::

    import blockhub
    with blockhub.Client(query_addr="tcp://hub:5555", register_addr="tcp://hub:5556") as hub:
        answer = hub.can_offload([b"block-01", b"block-02"])
        hub.register_sync([(k, b"s3://bucket/" + k, b"") for k in answer.granted])
"""

from blockhub._native import (  # noqa: F401
    CanOffloadResult,
    Client,
    Entry,
    Error,
    HelloInfo,
    HubError,
    InvalidArgumentError,
    OffloadStatus,
    RegisterStatus,
    RenewStatus,
    TimeoutError,
    UnavailableError,
    __version__,
)

__all__ = [
    "CanOffloadResult",
    "Client",
    "Entry",
    "Error",
    "HelloInfo",
    "HubError",
    "InvalidArgumentError",
    "OffloadStatus",
    "RegisterStatus",
    "RenewStatus",
    "TimeoutError",
    "UnavailableError",
    "__version__",
]
