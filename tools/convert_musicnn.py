"""Convert musicnn's MSD_musicnn TensorFlow checkpoint into the torch state dict GenreLab ships.

musicnn 0.1.0 (ISC licence; Pons & Serra, ISMIR 2019 LBD) carries its trained checkpoints inside its
wheel, but its code and metadata need TensorFlow 1 and ``numpy<1.17``. This script reads the checkpoint
bundle directly (a LevelDB-style table of tensor entries, ``.index``, beside one data shard) and writes
``assets/models/musicnn_msd.pt`` in the layout of :class:`core.compute.musicnn.Musicnn`, so nothing of
TensorFlow is needed, here or at run time. Run it once after downloading the wheel::

    pip download --no-deps musicnn==0.1.0 -d /tmp/musicnn
    python tools/convert_musicnn.py /tmp/musicnn/musicnn-0.1.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.compute.musicnn import WEIGHTS, Musicnn  # noqa: E402

FOOTER_BYTES = 48
TABLE_MAGIC = 0xDB4775248B80FB57
FLOAT32 = 1  # TensorFlow's DT_FLOAT


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
    meta_offset, pos = _varint(index, len(index) - FOOTER_BYTES)
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


def from_wheel(wheel: Path, model: str = "MSD_musicnn") -> dict[str, np.ndarray]:
    """The tensors of one of the checkpoints inside musicnn's wheel."""
    with zipfile.ZipFile(wheel) as z:
        return read_bundle(z.read(f"musicnn/{model}/.index"), z.read(f"musicnn/{model}/.data-00000-of-00001"))


def _bn(name: str) -> dict[str, str]:
    return {"weight": f"{name}/gamma", "bias": f"{name}/beta", "running_mean": f"{name}/moving_mean",
            "running_var": f"{name}/moving_variance"}


def torch_state(tensors: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """:class:`core.compute.musicnn.Musicnn`'s state dict from the checkpoint's tensors (named as TensorFlow 1's
    ``tf.layers`` numbered them, in the order the graph created them)."""
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
    state = Musicnn().state_dict()
    for name, tf_name in names.items():
        state[name] = torch.from_numpy(tensors[tf_name])
    for name, tf_name in kernels.items():
        k = tensors[tf_name]  # (height = frames, width = bands or channels, in, out)
        k = k.transpose(3, 2, 0, 1) if name.startswith(("timbral", "temporal")) else k[:, :, 0, :].transpose(2, 1, 0)
        state[name] = torch.from_numpy(np.ascontiguousarray(k))
    state["dense.weight"] = torch.from_numpy(np.ascontiguousarray(tensors["dense/kernel"].T))
    state["tags.weight"] = torch.from_numpy(np.ascontiguousarray(tensors["dense_1/kernel"].T))
    return state


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="musicnn-0.1.0-py3-none-any.whl")
    parser.add_argument("-o", "--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    state = torch_state(from_wheel(args.wheel))
    Musicnn().load_state_dict(state)
    torch.save(state, args.out)
    print(f"{args.out}: {sum(t.numel() for k, t in state.items() if 'num_batches' not in k):,} values")


if __name__ == "__main__":
    main()
