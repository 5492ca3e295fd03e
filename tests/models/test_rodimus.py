"""The three compute paths of Rodimus / Rodimus+ agree, prefill continues from a state, the state is bounded."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.config import RodimusConfig
from models.rodimus import RodimusForCausalLM
from tests.models.conftest import VOCAB, tiny_model, token_ids

TOL = 1e-4  # float32 max abs difference on logits


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


@torch.no_grad()
def test_three_paths_agree(model: RodimusForCausalLM) -> None:
    ids = token_ids(2, 70)  # crosses a 64-token chunk and many window lengths
    chunked = model(ids)
    reference = model.forward_reference(ids)
    state = model.new_state(2)
    stepped = torch.stack([model.step(ids[:, t], state) for t in range(ids.shape[1])], dim=1)
    assert chunked.shape == (2, 70, VOCAB) and chunked.dtype == torch.float32
    assert max_diff(chunked, reference) <= TOL
    assert max_diff(stepped, reference) <= TOL
    assert state.position == 70


@torch.no_grad()
def test_prefill_then_step_equals_forward(model: RodimusForCausalLM) -> None:
    ids = token_ids(1, 30)
    full = model(ids)
    state = model.new_state()
    prefix = model.prefill(ids[:, :19], state)
    rest = torch.stack([model.step(ids[:, t], state) for t in range(19, 30)], dim=1)
    assert max_diff(torch.cat([prefix, rest], dim=1), full) <= TOL


@settings(max_examples=12, deadline=None)
@given(block_type=st.sampled_from(["rodimus", "rodimus_plus"]),
       cuts=st.lists(st.integers(min_value=1, max_value=39), max_size=5))
@torch.no_grad()
def test_continued_prefill_equals_one_prefill(block_type: str, cuts: list[int]) -> None:
    """Any split of 40 tokens into prefill chunks (including across the 6-token window) gives the same logits
    and the same final state as one prefill."""
    model = tiny_model(block_type)
    ids = token_ids(1, 40)
    whole_state = model.new_state()
    whole = model.prefill(ids, whole_state)
    state = model.new_state()
    bounds = [0, *sorted(set(cuts)), 40]
    parts = [model.prefill(ids[:, a:b], state) for a, b in zip(bounds, bounds[1:])]
    assert max_diff(torch.cat(parts, dim=1), whole) <= TOL
    for mine, theirs in zip(state.layers, whole_state.layers):
        for a, b in zip(mine.tensors(), theirs.tensors()):
            assert max_diff(a.float(), b.float()) <= TOL


@torch.no_grad()
def test_window_is_previous_half_window_plus_self() -> None:
    """Rodimus+ attends to exactly the previous window_size // 2 tokens: changing a token further back changes
    nothing through attention. With the recurrent mixer removed, logits then depend only on the window."""
    model = tiny_model("rodimus_plus")
    for layer in model.model.layers:
        layer.mixer.out_proj.weight.zero_()  # keep only the attention + FFN path
    ids = token_ids(1, 20)
    changed = ids.clone()
    changed[0, 3] = (ids[0, 3] + 1) % VOCAB
    a, b = model(ids), model(changed)
    left = model.config.left_window  # 6
    assert max_diff(a[:, : 3], b[:, : 3]) == 0.0
    assert max_diff(a[:, 3 : 3 + left + 1], b[:, 3 : 3 + left + 1]) > 1e-6
    # tokens 10.. see positions >= 4 only (2 layers: position 3 reaches 3 + 2 * 6 = 15 at most)
    assert max_diff(a[:, 3 + 2 * left + 1 :], b[:, 3 + 2 * left + 1 :]) == 0.0


@torch.no_grad()
@torch.no_grad()
def test_empty_prefill_leaves_state_alone(model: RodimusForCausalLM) -> None:
    state = model.new_state()
    model.prefill(token_ids(1, 5), state)
    snapshot = state.clone()
    assert model.prefill(token_ids(1, 0), state).shape == (1, 0, VOCAB)
    assert state.position == 5
    assert all(torch.equal(a, b) for x, y in zip(state.layers, snapshot.layers)
               for a, b in zip(x.tensors(), y.tensors()))


@torch.no_grad()
def test_state_clone_and_restore(model: RodimusForCausalLM) -> None:
    ids = token_ids(1, 25)
    state = model.new_state()
    model.prefill(ids[:, :12], state)
    snapshot = state.clone()
    first = model.prefill(ids[:, 12:], state)
    assert state.position == 25 and snapshot.position == 12
    state.copy_(snapshot)
    assert state.position == 12
    again = model.prefill(ids[:, 12:], state)
    assert max_diff(first, again) == 0.0


@torch.no_grad()
def test_state_size_does_not_grow(model: RodimusForCausalLM) -> None:
    state = model.new_state(2)
    before = state.nbytes
    model.prefill(token_ids(2, 50), state)
    for t in range(5):
        model.step(token_ids(2, 1, seed=t)[:, 0], state)
    assert state.nbytes == before > 0
    cfg = model.config
    ssm = cfg.n_layer * 2 * cfg.mem_size * cfg.d_inner * 4
    assert all(layer.ssm.dtype == torch.float32 for layer in state.layers)
    assert before >= ssm


def test_forward_is_differentiable(model: RodimusForCausalLM) -> None:
    ids = token_ids(2, 20)
    loss = torch.nn.functional.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten())
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_bad_inputs_raise(model: RodimusForCausalLM) -> None:
    state = model.new_state(2)
    with pytest.raises(ValueError, match="batch size"):
        model.prefill(token_ids(1, 3), state)
    with pytest.raises(ValueError, match=r"input_ids must be \[2\]"):
        model.step(token_ids(2, 3), state)


def test_config_derives_official_sizes() -> None:
    cfg = RodimusConfig(d_model=2048, n_layer=24, vocab_size=126464, block_type="rodimus_plus",
                        mixer_cfg={"expand_ratio": 2.0, "mem_size": 64, "input_gate_low_rank": "auto"},
                        attn_cfg={"num_heads": 16, "num_heads_k": 1, "num_heads_v": 16, "window_size": 4096,
                                  "rotary_emb_dim": -1, "ffn_expand_ratio": 4 / 3})
    assert (cfg.d_inner, cfg.input_gate_rank, cfg.head_dim, cfg.rotary_dim) == (4096, 32, 128, 128)
    assert (cfg.ffn_dim, cfg.left_window, cfg.normalize_epsilon) == (2736, 2048, 1e-12)
    assert RodimusConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="block_type"):
        RodimusConfig(block_type="mamba")
    with pytest.raises(ValueError, match="unknown MixerConfig keys"):
        RodimusConfig(mixer_cfg={"mem_sise": 3})
