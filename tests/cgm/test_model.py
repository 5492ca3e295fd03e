"""The reader model: greedy generation over the KV cache equals greedy decoding by full forwards under the graph
mask, the additive mask equals the bool mask, LoRA merged equals LoRA unmerged, and training steps reduce the
loss on a reconstruction sample."""
from __future__ import annotations

import copy

import torch

from models.cgm.items import ItemBuilder
from models.cgm.lora import apply_lora, merge_lora
from models.cgm.mask import additive_mask
from models.cgm.model import CGMForCausalLM
from models.cgm.train import optimizer_for, train_step
from models.tokenizer import Tokenizer
from tests.cgm.conftest import small_graph, tiny_reader

VOCAB = 97
OWNER, EDGES = [0, 0, 1, 2], [(0, 1), (1, 2)]


def nodes(seed: int = 3) -> torch.Tensor:
    return torch.randn(len(OWNER), 16, generator=torch.Generator().manual_seed(seed))


def uncached_greedy(model: CGMForCausalLM, vectors: torch.Tensor, prompt: list[int], steps: int) -> list[int]:
    """Greedy decoding by a full forward over [nodes ; prompt ; answer so far] under the graph mask each step."""
    out: list[int] = []
    for _ in range(steps):
        ids = torch.tensor(prompt + out)
        mask = model.mask(OWNER, EDGES, len(prompt), len(out))
        logits = model.lm(inputs_embeds=model.embed(vectors, ids), attention_mask=mask)
        out.append(int(logits[0, -1].argmax()))
    return out


@torch.no_grad()
def test_cached_generation_equals_uncached_greedy() -> None:
    model = tiny_reader(VOCAB)
    prompt = [5, 17, 42, 8, 61, 3]
    cached = model.generate(nodes(), OWNER, EDGES, prompt, max_new_tokens=10, eos_id=None)
    assert cached == uncached_greedy(model, nodes(), prompt, 10)


@torch.no_grad()
def test_generation_stops_at_eos_and_on_cancel() -> None:
    model = tiny_reader(VOCAB)
    prompt = [5, 17, 42]
    free = model.generate(nodes(), OWNER, EDGES, prompt, max_new_tokens=6, eos_id=None)
    assert model.generate(nodes(), OWNER, EDGES, prompt, max_new_tokens=6, eos_id=free[2]) == free[:free.index(free[2])]
    assert model.generate(nodes(), OWNER, EDGES, prompt, max_new_tokens=6, eos_id=None, cancelled=lambda: True) == []


@torch.no_grad()
def test_additive_mask_equals_bool_mask_and_ids_equal_embeds() -> None:
    model = tiny_reader(VOCAB)
    ids = torch.tensor([4, 9, 33, 2, 7])
    embeds = model.embed(nodes(), ids)
    mask = model.mask(OWNER, EDGES, 3, 2)
    by_bool = model.lm(inputs_embeds=embeds, attention_mask=mask)
    assert torch.allclose(by_bool, model.lm(inputs_embeds=embeds, attention_mask=additive_mask(mask)), atol=1e-5)
    text_only = model.lm(ids[None])
    assert torch.allclose(text_only, model.lm(inputs_embeds=model.lm.model.embed_tokens(ids)[None]), atol=1e-6)


@torch.no_grad()
def test_lora_merged_equals_unmerged() -> None:
    model = tiny_reader(VOCAB)
    wrapped = apply_lora(model.lm, model.config.lora)
    assert len(wrapped) == 2 * 7
    for name, param in model.lm.named_parameters():
        if "lora_B" in name:
            param.normal_(0.0, 0.05)  # B starts at zero; make the update matter
    ids = torch.tensor([[4, 9, 33, 2, 7, 11]])
    unmerged = model.lm(ids)
    merged_model = copy.deepcopy(model)
    assert merge_lora(merged_model.lm) == 14
    assert not any("lora" in name for name in merged_model.state_dict())
    assert torch.allclose(merged_model.lm(ids), unmerged, atol=1e-5)
    assert not torch.allclose(tiny_reader(VOCAB).lm(ids), unmerged, atol=1e-3)


class Reconstruction:
    def __init__(self) -> None:
        self.graph = small_graph()
        self.target = "def g(y):\n    return y * 2\n"


def test_reconstruction_steps_reduce_the_loss(tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size, max_answer_tokens=64)
    builder = ItemBuilder(model.config, tokenizer, None)
    item = builder.reconstruction(Reconstruction())
    vectors = nodes()
    item = type(item)(vectors, OWNER, EDGES, item.prompt, item.answer)  # node tokens from fixed vectors
    optimizer = optimizer_for(model, 3e-3, 0.0)
    first = train_step(model, optimizer, [item], clip=1.0)
    for _ in range(5):
        last = train_step(model, optimizer, [item], clip=1.0)
    assert last < first - 0.5
