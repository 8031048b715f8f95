"""musicnn's MSD_musicnn weights, read from the ``musicnn`` package's TensorFlow checkpoint.

musicnn 0.1.0 (ISC licence; Pons & Serra, ISMIR 2019 LBD) carries its trained checkpoints inside its
wheel, but its code and metadata need TensorFlow 1 and ``numpy<1.17``: GenreLab installs it with
``pip install --no-deps -r requirements-weights.txt`` and reads only the checkpoint files. A checkpoint
bundle is a LevelDB-style table of tensor entries (``.index``) beside one data shard; this module parses
it and renames the tensors into the layout of :class:`core.compute.musicnn.Musicnn`, so nothing of
TensorFlow is needed.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import torch

FOOTER_BYTES = 48
TABLE_MAGIC = 0xDB4775248B80FB57
FLOAT32 = 1  # TensorFlow's DT_FLOAT
MODEL = "MSD_musicnn"
INSTALL = "pip install --no-deps -r requirements-weights.txt"


def checkpoint_files(model: str = MODEL) -> tuple[Path, Path]:
    """The ``.index`` table and data shard of one of the installed musicnn package's checkpoints.

    Raises FileNotFoundError naming the install command when the package is missing. The package is
    located, not imported (its code needs TensorFlow 1).
    """
    spec = importlib.util.find_spec("musicnn")
    folder = Path(next(iter(spec.submodule_search_locations or ())), model) if spec else None
    if folder is None or not (folder / ".index").is_file():
        raise FileNotFoundError(f"the pretrained ear's weights come from the musicnn package: run `{INSTALL}`")
    return folder / ".index", folder / ".data-00000-of-00001"


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _block_entries(table: bytes, offset: int, size: int):
    """The (key, value) pairs of one uncompressed table block."""
    if table[offset + size] != 0:
        raise ValueError("compressed table blocks are not supported")
    block = table[offset:offset + size]
    n_restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end = len(block) - 4 - 4 * n_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        length, pos = _varint(block, pos)
        key = key[:shared] + block[pos:pos + unshared]
        pos += unshared
        yield key, block[pos:pos + length]
        pos += length


def _fields(msg: bytes):
    """(field number, value) of a protobuf message: ints for varints, bytes for length-delimited fields."""
    pos = 0
    while pos < len(msg):
        tag, pos = _varint(msg, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(msg, pos)
        elif wire == 2:
            length, pos = _varint(msg, pos)
            value, pos = msg[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack_from("<I", msg, pos)[0], pos + 4
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", msg, pos)[0], pos + 8
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield number, value


def read_bundle(index: bytes, data: bytes) -> dict[str, np.ndarray]:
    """Every float32 tensor of a TensorFlow checkpoint bundle (``.index`` table bytes, one data shard)."""
    _, pos = _varint(index, len(index) - FOOTER_BYTES)  # the metaindex handle, not needed
    _, pos = _varint(index, pos)
    index_offset, pos = _varint(index, pos)
    index_size, _ = _varint(index, pos)
    if struct.unpack_from("<Q", index, len(index) - 8)[0] != TABLE_MAGIC:
        raise ValueError("not a TensorFlow checkpoint index")
    tensors = {}
    for _, handle in _block_entries(index, index_offset, index_size):
        block_offset, p = _varint(handle, 0)
        block_size, _ = _varint(handle, p)
        for key, value in _block_entries(index, block_offset, block_size):
            if not key:
                continue  # the bundle header
            entry = dict(_fields(value))
            if entry.get(1) != FLOAT32:
                continue
            shape = [dict(_fields(dim)).get(1, 0) for n, dim in _fields(entry.get(2, b"")) if n == 2]
            start, size = entry.get(4, 0), entry[5]
            tensors[key.decode()] = np.frombuffer(data[start:start + size], "<f4").reshape(shape).copy()
    return tensors


def _bn(name: str) -> dict[str, str]:
    return {"weight": f"{name}/gamma", "bias": f"{name}/beta", "running_mean": f"{name}/moving_mean",
            "running_var": f"{name}/moving_variance"}


def torch_state(tensors: dict[str, np.ndarray], state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Fill ``state``, a :class:`core.compute.musicnn.Musicnn` state dict, with the checkpoint's tensors (named
    as TensorFlow 1's ``tf.layers`` numbered them, in the order the graph created them) and return it; the
    checkpoint's Adam slots are left out, the batch-norm counters stay as they were."""
    convs = ["timbral.0", "timbral.1", "temporal.0", "temporal.1", "temporal.2", "mid.0", "mid.1", "mid.2"]
    names = {f"bn_input.{k}": v for k, v in _bn("batch_normalization").items()}
    kernels = {}
    for i, block in enumerate(convs):
        names[f"{block}.conv.bias"] = f"conv2d{'_' + str(i) if i else ''}/bias"
        kernels[f"{block}.conv.weight"] = f"conv2d{'_' + str(i) if i else ''}/kernel"
        names.update({f"{block}.bn.{k}": v for k, v in _bn(f"batch_normalization_{i + 1}").items()})
    names.update({f"bn_pool.{k}": v for k, v in _bn("batch_normalization_9").items()})
    names.update({f"bn_dense.{k}": v for k, v in _bn("batch_normalization_10").items()})
    names.update({"dense.bias": "dense/bias", "tags.bias": "dense_1/bias"})
    for name, tf_name in names.items():
        state[name] = torch.from_numpy(tensors[tf_name])
    for name, tf_name in kernels.items():
        k = tensors[tf_name]  # (height = frames, width = bands or channels, in, out)
        k = k.transpose(3, 2, 0, 1) if name.startswith(("timbral", "temporal")) else k[:, :, 0, :].transpose(2, 1, 0)
        state[name] = torch.from_numpy(np.ascontiguousarray(k))
    state["dense.weight"] = torch.from_numpy(np.ascontiguousarray(tensors["dense/kernel"].T))
    state["tags.weight"] = torch.from_numpy(np.ascontiguousarray(tensors["dense_1/kernel"].T))
    return state


def read(state: dict[str, torch.Tensor], model: str = MODEL) -> dict[str, torch.Tensor]:
    """``state`` filled with the installed checkpoint's weights (see :func:`torch_state`)."""
    index, data = checkpoint_files(model)
    return torch_state(read_bundle(index.read_bytes(), data.read_bytes()), state)
