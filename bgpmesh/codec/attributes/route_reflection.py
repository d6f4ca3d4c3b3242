"""ORIGINATOR_ID (type 9) and CLUSTER_LIST (type 10), RFC 4456 section 8.

Both are optional non-transitive.  RFC 7606 section 7.9 and 7.10: a wrong
length is malformed and handled as treat-as-withdraw.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, ClassVar

from bgpmesh.codec.attributes.base import (
    CLUSTER_LIST,
    OPTIONAL,
    ORIGINATOR_ID,
    length_error,
    pack_attribute,
)

# +--------+--------+--------+---------------------+
# | 0x80   | 9      | len=4  | router id (4)       |
# +--------+--------+--------+---------------------+


@dataclass(frozen=True, slots=True)
class OriginatorId:
    address: str

    TYPE_CODE: ClassVar[int] = ORIGINATOR_ID
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "originator-id"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> OriginatorId:
        # RFC 7606 section 7.9: "if the length of ORIGINATOR_ID is other than 4"
        if len(data) != 4:
            raise length_error(f"ORIGINATOR_ID length {len(data)}")
        return cls(socket.inet_ntoa(data))

    def encode(self, session: Any = None) -> bytes:
        return bytes((OPTIONAL, ORIGINATOR_ID, 4)) + socket.inet_aton(self.address)


# +--------+--------+--------+------------------+------------------+
# | 0x80   | 10     | len    | cluster id (4)   | ... 4 octets each|
# +--------+--------+--------+------------------+------------------+


@dataclass(frozen=True, slots=True)
class ClusterList:
    clusters: tuple[str, ...]

    TYPE_CODE: ClassVar[int] = CLUSTER_LIST
    FLAGS: ClassVar[int] = OPTIONAL
    NAME: ClassVar[str] = "cluster-list"

    @classmethod
    def decode(cls, data: bytes, session: Any) -> ClusterList:
        # RFC 7606 section 7.10: "if the length of CLUSTER_LIST is not a
        # non-zero multiple of 4"
        if not data or len(data) & 3:
            raise length_error(f"CLUSTER_LIST length {len(data)}")
        return cls(tuple(socket.inet_ntoa(data[i : i + 4]) for i in range(0, len(data), 4)))

    def encode(self, session: Any = None) -> bytes:
        value = b"".join(socket.inet_aton(cluster) for cluster in self.clusters)
        return pack_attribute(OPTIONAL, CLUSTER_LIST, value)
