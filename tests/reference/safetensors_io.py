# SPDX-License-Identifier: GPL-3.0-or-later
"""A small safetensors reader (json + numpy), for the reference checks and
benchmarks only; Camtrail itself reads checkpoints in C (src/core).

The format: an 8-byte little-endian header length N, N bytes of JSON mapping
each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
relative to the end of the header) plus an optional "__metadata__" object of
strings, then the raw little-endian tensor bytes.
"""

import json
import struct

import numpy as np

# The dtypes a Camtrail checkpoint holds (F32 weights, I64 BatchNorm
# counters), plus the common ones a published file may carry.
_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


class SafetensorsError(ValueError):
    pass


def read(path):
    """Returns (tensors, metadata): an ordered dict name → numpy array (in
    file order of the header), and the "__metadata__" dict (empty when
    absent)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: {len(blob)} bytes, too short for a header length")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if header_len > len(blob) - 8:
        raise SafetensorsError(f"{path}: header of {header_len} bytes runs past the file end")
    try:
        header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not JSON: {e}") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")

    metadata = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + header_len:]
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise SafetensorsError(f"{path}: tensor {name} has unsupported dtype {info.get('dtype')!r}")
        shape = tuple(int(s) for s in info["shape"])
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise SafetensorsError(
                f"{path}: tensor {name} ({info['dtype']} {list(shape)}) has offsets "
                f"[{begin}, {end}) in a data section of {len(data)} bytes")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(shape).copy()
    return tensors, metadata


def load_numpy(path):
    """The tensors of @path as a dict of numpy arrays (metadata dropped)."""
    return read(path)[0]


def load_torch(path):
    """The tensors of @path as a dict of torch tensors, ready for
    module.load_state_dict(..., strict=True)."""
    import torch

    return {name: torch.from_numpy(array) for name, array in read(path)[0].items()}


def metadata(path):
    return read(path)[1]
