"""Rodimus and Rodimus+ (He et al., "Rodimus*: Breaking the Accuracy-Efficiency Trade-Off with Efficient
Attentions", ICLR 2025; official code codefuse-ai/rodimus), in plain torch with the recurrence in ``kernels.gla``.

Module and parameter names reproduce the official state dict (research/rodimus.md 9.3), so official checkpoints
load with ``load_state_dict`` as they are. Three compute paths share the weights and agree to float32 rounding:

- ``forward`` / ``prefill``: chunkwise-parallel (training and prompt processing); ``prefill`` continues from a
  ``RodimusState`` with any number of tokens, which the official cache cannot do;
- ``step``: one token in O(1) time and memory whatever the position;
- ``forward_reference``: a per-token loop of the recurrence and dense masked attention, for tests.

Deliberate differences from the official decode cache (research/rodimus.md 7.4): the recurrent state is kept in
float32, and the Rodimus+ window is one rule everywhere: a token attends to itself and the previous
``window_size // 2`` tokens, in prefill and in decode, after prompts of any length.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from kernels.gla import chunk_gla, naive_recurrent_gla, recurrent_gla_step
from models.config import RodimusConfig
from models.layers import RMSNorm, apply_rotary
from models.state import LayerState, RodimusState

ATTENTION_QUERY_BLOCK = 512  # queries per block of windowed attention in prefill (bounds the score matrix)


class GatedRMSNorm(RMSNorm):
    """Official ``RMSNormGated(norm_before_gate=False)``: RMSNorm(x * SiLU(z)) * weight."""

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x.float() * F.silu(z.float()))


class ShortConv(nn.Module):
    """Depthwise causal conv over the last d_conv inputs, then SiLU. Its state holds the last d_conv raw inputs."""

    def __init__(self, dim: int, d_conv: int) -> None:
        super().__init__()
        self.d_conv = d_conv
        self.conv1d = nn.Conv1d(dim, dim, d_conv, groups=dim, bias=True, padding=d_conv - 1)

    def forward(self, a: torch.Tensor, conv_state: torch.Tensor | None, naive: bool = False) -> torch.Tensor:
        """a: [B, T, D] -> [B, T, D]; continues from and updates ``conv_state`` [B, D, d_conv] when given."""
        B, T, D = a.shape
        x = a.transpose(1, 2)  # [B, D, T]
        history = (x.new_zeros(B, D, self.d_conv - 1) if conv_state is None
                   else conv_state[:, :, 1:].to(x.dtype))
        x = torch.cat([history, x], dim=2)  # [B, D, d_conv - 1 + T]
        if conv_state is not None:
            conv_state.copy_(x[:, :, -self.d_conv:])
        if naive:
            weight = self.conv1d.weight[:, 0]  # [D, d_conv]
            c = sum(x[:, :, j:j + T] * weight[:, j, None] for j in range(self.d_conv)) + self.conv1d.bias[:, None]
        else:
            c = F.conv1d(x, self.conv1d.weight, self.conv1d.bias, groups=D)
        return F.silu(c).transpose(1, 2)

    def step(self, a: torch.Tensor, conv_state: torch.Tensor) -> torch.Tensor:
        """a: [B, D] -> [B, D]; shifts ``a`` into ``conv_state``."""
        conv_state.copy_(torch.roll(conv_state, shifts=-1, dims=-1))
        conv_state[:, :, -1] = a
        c = (conv_state * self.conv1d.weight[:, 0]).sum(-1) + self.conv1d.bias
        return F.silu(c)


class RodimusFlowInner(nn.Module):
    """Conv, DDTS gates and the one-head gated linear attention with state [mem_size, D] (official names)."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        D, n = config.d_inner, config.mem_size
        self.mem_size = n
        self.normalize_epsilon = config.normalize_epsilon
        self.short_conv = ShortConv(D, config.d_conv)
        self.residual_weight = nn.Parameter(torch.ones(D, dtype=torch.float32))  # the D-skip, kept in fp32
        self.in_proj = nn.Linear(D, 2 * n, bias=False)  # rows [q; k]
        self.ch_gate_proj = nn.Sequential(nn.Linear(D, config.input_gate_rank, bias=False),
                                          nn.Linear(config.input_gate_rank, D, bias=True))
        self.mem_gate_proj = nn.Linear(D, 2 * n, bias=True)  # rows [g; tau]

    def _gla_inputs(self, a: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """a: pre-conv branch, c: post-conv branch, [..., D] -> q, k, v, log_alpha (k and log_alpha in fp32)."""
        q, k = self.in_proj(c).chunk(2, dim=-1)  # [..., n] each
        v = torch.sigmoid(self.ch_gate_proj(a)) * a  # [..., D] low-rank input gate on the pre-conv branch
        gates = F.linear(c, self.mem_gate_proj.weight) + self.mem_gate_proj.bias.float()
        select, tau = gates.float().chunk(2, dim=-1)  # [..., n] each
        select, tau = F.softplus(select), torch.sigmoid(tau)
        log_alpha = -tau * select
        k = F.normalize(k.float(), dim=-1, eps=self.normalize_epsilon) * select.pow(tau)
        return q, k, v, log_alpha

    def _skip(self, o: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return (o.float() + c.float() * self.residual_weight.float()).to(o.dtype)

    def forward(self, a: torch.Tensor, state: LayerState | None, naive: bool = False) -> torch.Tensor:
        """a: [B, T, D] -> [B, T, D]; continues from and updates ``state`` when given."""
        c = self.short_conv(a, None if state is None else state.conv, naive=naive)
        q, k, v, log_alpha = self._gla_inputs(a, c)
        gla = naive_recurrent_gla if naive else chunk_gla
        o, final_state = gla(q, k, v, log_alpha, scale=self.mem_size**-0.5,
                             initial_state=None if state is None else state.ssm)
        if state is not None:
            state.ssm.copy_(final_state)
        return self._skip(o, c)

    def step(self, a: torch.Tensor, state: LayerState) -> torch.Tensor:
        """a: [B, D] -> [B, D] for one token."""
        c = self.short_conv.step(a, state.conv)
        q, k, v, log_alpha = self._gla_inputs(a, c)
        o = recurrent_gla_step(q, k, v, log_alpha, state.ssm, scale=self.mem_size**-0.5)
        return self._skip(o, c)


class RodimusFlow(nn.Module):
    """The Rodimus block's mixer: fc -> [branch a | gate z], inner mixer on a, gated RMSNorm with z, out_proj."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        D = config.d_inner
        self.fc = nn.Linear(config.d_model, 2 * D, bias=False)
        self.inner_mixer = RodimusFlowInner(config)
        self.act_norm = GatedRMSNorm(D, config.norm_epsilon)
        self.out_proj = nn.Linear(D, config.d_model, bias=False)

    def forward(self, x: torch.Tensor, state: LayerState | None, naive: bool = False) -> torch.Tensor:
        a, z = self.fc(x).chunk(2, dim=-1)  # [B, T, D] each
        return self.out_proj(self.act_norm(self.inner_mixer(a, state, naive=naive), z))

    def step(self, x: torch.Tensor, state: LayerState) -> torch.Tensor:
        a, z = self.fc(x).chunk(2, dim=-1)  # [B, D] each
        return self.out_proj(self.act_norm(self.inner_mixer.step(a, state), z))


def window_mask(query_pos: torch.Tensor, key_pos: torch.Tensor, left_window: int) -> torch.Tensor:
    """[Tq, Tk] bool: key position in [query - left_window, query]."""
    delta = query_pos[:, None] - key_pos[None, :]
    return (delta >= 0) & (delta <= left_window)


class SlideWindowSharedKeyAttention(nn.Module):
    """SW-SKA: H query heads, H_k shared key heads (1 in the checkpoints), H value heads, RoPE, sliding window."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        d, hd = config.d_model, config.head_dim
        self.num_heads, self.num_heads_k, self.head_dim = config.num_heads, config.num_heads_k, hd
        self.left_window = config.left_window
        self.rotary_dim, self.rotary_base = config.rotary_dim, config.attn_cfg.rotary_emb_base
        self.scale = config.attn_cfg.softmax_scale or hd**-0.5
        self.q_proj = nn.Linear(d, config.num_heads * hd, bias=False)
        self.k_proj = nn.Linear(d, config.num_heads_k * hd, bias=False)
        self.v_proj = nn.Linear(d, config.num_heads_v * hd, bias=False)
        self.out_proj = nn.Linear(config.num_heads * hd, d, bias=False)

    def _project(self, x: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, ...]:
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.num_heads, self.head_dim)
        k = self.k_proj(x).view(B, T, self.num_heads_k, self.head_dim)
        v = self.v_proj(x).view(B, T, self.num_heads, self.head_dim)
        q = apply_rotary(q, positions, self.rotary_dim, self.rotary_base)
        k = apply_rotary(k, positions, self.rotary_dim, self.rotary_base)
        return q, k, v

    def _history(self, state: LayerState, position: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The ring buffer's tokens in position order: [B, min(position, W), H, hd] keys and values."""
        assert state.keys is not None and state.values is not None
        W = self.left_window
        if position <= W:
            return state.keys[:, :position], state.values[:, :position]
        start = position % W
        return (torch.cat([state.keys[:, start:], state.keys[:, :start]], dim=1),
                torch.cat([state.values[:, start:], state.values[:, :start]], dim=1))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor,
                naive: bool) -> torch.Tensor:
        """q: [B, Tq, H, hd], k: [B, Tk, H_k, hd], v: [B, Tk, H, hd], mask: [Tq, Tk] -> [B, Tq, H, hd]."""
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        k = k.repeat_interleave(self.num_heads // self.num_heads_k, dim=1)
        if naive:
            scores = (q.float() @ k.float().transpose(-1, -2)) * self.scale
            probs = scores.masked_fill(~mask, float("-inf")).softmax(-1)
            out = (probs @ v.float()).to(v.dtype)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=self.scale)
        return out.transpose(1, 2)

    def forward(self, x: torch.Tensor, state: LayerState | None, position: int,
                naive: bool = False) -> torch.Tensor:
        """x: [B, T, d] at positions position.. -> [B, T, d]; reads and updates the window ring buffer."""
        B, T, _ = x.shape
        positions = torch.arange(position, position + T, device=x.device)
        q, k, v = self._project(x, positions)
        if state is not None:
            past_k, past_v = self._history(state, position)
            k, v = torch.cat([past_k, k], dim=1), torch.cat([past_v, v], dim=1)
        first_key = position + T - k.shape[1]
        key_positions = torch.arange(first_key, position + T, device=x.device)
        if naive:
            out = self._attend(q, k, v, window_mask(positions, key_positions, self.left_window), naive=True)
        else:
            blocks = []
            for i0 in range(0, T, ATTENTION_QUERY_BLOCK):
                i1 = min(i0 + ATTENTION_QUERY_BLOCK, T)
                j0 = max(position + i0 - self.left_window - first_key, 0)
                j1 = position + i1 - first_key
                mask = window_mask(positions[i0:i1], key_positions[j0:j1], self.left_window)
                blocks.append(self._attend(q[:, i0:i1], k[:, j0:j1], v[:, j0:j1], mask, naive=False))
            out = torch.cat(blocks, dim=1)
        if state is not None:
            self._store(state, k, v, key_positions)
        return self.out_proj(out.reshape(B, T, -1))

    def _store(self, state: LayerState, k: torch.Tensor, v: torch.Tensor, key_positions: torch.Tensor) -> None:
        """Write the last W of the given keys/values into their ring slots (position % W)."""
        assert state.keys is not None and state.values is not None
        keep = min(self.left_window, k.shape[1])
        slots = key_positions[-keep:] % self.left_window
        state.keys.index_copy_(1, slots, k[:, -keep:].to(state.keys.dtype))
        state.values.index_copy_(1, slots, v[:, -keep:].to(state.values.dtype))

    def step(self, x: torch.Tensor, state: LayerState, position: int) -> torch.Tensor:
        """x: [B, d] for the token at ``position`` -> [B, d].

        Attends to the ring buffer in place (no copy of the window) plus the current token, whose key and value
        then replace the oldest slot.
        """
        assert state.keys is not None and state.values is not None
        B, W, Hk, G = x.shape[0], self.left_window, self.num_heads_k, self.num_heads // self.num_heads_k
        q, k, v = self._project(x[:, None], torch.tensor([position], device=x.device))  # [B, 1, ., hd]
        q = q[:, 0].view(B, Hk, G, self.head_dim)
        past = q @ state.keys.permute(0, 2, 3, 1)  # [B, Hk, G, W]
        current = (q * k[:, 0, :, None]).sum(-1, keepdim=True)  # [B, Hk, G, 1]
        scores = torch.cat([past, current], dim=-1).float().view(B, self.num_heads, W + 1) * self.scale
        if position < W:  # slots not written yet
            scores[:, :, position:W] = float("-inf")
        probs = scores.softmax(-1).to(v.dtype)  # [B, H, W + 1]
        out = (probs[:, :, None, :W] @ state.values.transpose(1, 2)).squeeze(2) + probs[:, :, W:] * v[:, 0]
        slot = position % W
        state.keys[:, slot] = k[:, 0]
        state.values[:, slot] = v[:, 0]
        return self.out_proj(out.reshape(B, -1))


class GLU(nn.Module):
    """SwiGLU FFN of Rodimus+: fc -> [value | gate] (value first), out_proj(SiLU(gate) * value)."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.d_model, 2 * config.ffn_dim, bias=False)
        self.out_proj = nn.Linear(config.ffn_dim, config.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.fc(x).chunk(2, dim=-1)
        return self.out_proj(F.silu(gate) * value)


class RodimusBlock(nn.Module):
    """One layer. Residual stream r is float32.

    rodimus:       r = r + Flow(N_mixer r)
    rodimus_plus:  r1 = r + Flow(N_mixer r); r2 = r1 + FFN(N_ffn(r1 + SWSKA(N_attn r1)))  (two-hop residual: the
                   attention output reaches the residual stream only through the FFN)
    """

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        self.is_plus = config.is_plus
        self.mixer_norm = RMSNorm(config.d_model, config.norm_epsilon)
        self.mixer = RodimusFlow(config)
        if self.is_plus:
            self.attn_norm = RMSNorm(config.d_model, config.norm_epsilon)
            self.attn = SlideWindowSharedKeyAttention(config)
            self.ffn_norm = RMSNorm(config.d_model, config.norm_epsilon)
            self.ffn = GLU(config)

    def forward(self, r: torch.Tensor, state: LayerState | None, position: int,
                naive: bool = False) -> torch.Tensor:
        r = r + self.mixer(self.mixer_norm(r), state, naive=naive).float()
        if self.is_plus:
            a = self.attn(self.attn_norm(r), state, position, naive=naive)
            r = r + self.ffn(self.ffn_norm(r + a.float())).float()
        return r

    def step(self, r: torch.Tensor, state: LayerState, position: int) -> torch.Tensor:
        r = r + self.mixer.step(self.mixer_norm(r), state).float()
        if self.is_plus:
            a = self.attn.step(self.attn_norm(r), state, position)
            r = r + self.ffn(self.ffn_norm(r + a.float())).float()
        return r


class RodimusModel(nn.Module):
    """Embeddings, blocks and the final norm (official prefix ``model.``)."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        self.embeddings = nn.Embedding(config.vocab_size, config.d_model, padding_idx=config.pad_token_id)
        self.embed_norm = RMSNorm(config.d_model, config.norm_epsilon) if config.use_norm_embedding else None
        self.layers = nn.ModuleList(RodimusBlock(config) for _ in range(config.n_layer))
        self.norm_f = RMSNorm(config.d_model, config.norm_epsilon)


class RodimusForCausalLM(nn.Module):
    """Rodimus / Rodimus+ language model. Logits are float32."""

    def __init__(self, config: RodimusConfig) -> None:
        super().__init__()
        self.config = config
        self.model = RodimusModel(config)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.reset_parameters()
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embeddings.weight

    # ----------------------------------------------------------------------------------------------- weights
    @torch.no_grad()
    def reset_parameters(self) -> None:
        """The official initialisation (research/rodimus.md 3): N(0, 0.02) linears and embeddings, Xavier with gain
        2^-2.5 for the inner projections, Mamba-style g bias and logit-uniform tau bias, out_proj rescaled."""
        cfg = self.config
        special = set()
        for module in self.modules():
            if isinstance(module, RodimusFlowInner):
                for linear in (module.in_proj, module.ch_gate_proj[0], module.ch_gate_proj[1], module.mem_gate_proj):
                    nn.init.xavier_uniform_(linear.weight, gain=2**-2.5)
                    special.add(linear)
                module.ch_gate_proj[1].bias.zero_()
                n = module.mem_size
                dt = torch.exp(torch.rand(n) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3)).clamp(min=1e-4)
                select_bias = dt + torch.log(-torch.expm1(-dt))  # inverse softplus
                tau_bias = torch.logit(torch.empty(n).uniform_(1 / 16, 0.9))
                module.mem_gate_proj.bias.copy_(torch.cat([select_bias, tau_bias]))
        for module in self.modules():
            if isinstance(module, nn.Linear) and module not in special:
                nn.init.normal_(module.weight, std=cfg.initializer_range)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=cfg.initializer_range)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
        if cfg.rescale_prenorm_residual:
            residuals_per_layer = 3 if cfg.is_plus else 1
            for name, p in self.named_parameters():
                if name.endswith("out_proj.weight"):
                    p /= math.sqrt(residuals_per_layer * cfg.n_layer)

    # ----------------------------------------------------------------------------------------------- compute
    def _embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.model.embeddings(input_ids) * self.config.embed_scale
        if self.model.embed_norm is not None:
            x = self.model.embed_norm(x)
        return x.float()  # the residual stream

    def _hidden(self, input_ids: torch.Tensor, state: RodimusState | None, naive: bool) -> torch.Tensor:
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be [B, T], got shape {tuple(input_ids.shape)}")
        position = 0 if state is None else state.position
        if state is not None and state.batch_size != input_ids.shape[0]:
            raise ValueError(f"state is for batch size {state.batch_size}, input_ids has {input_ids.shape[0]}")
        r = self._embed(input_ids)
        if input_ids.shape[1] == 0:  # nothing to consume: the state stays as it is
            return self.model.norm_f(r)
        for i, layer in enumerate(self.model.layers):
            r = layer(r, None if state is None else state.layers[i], position, naive=naive)
        if state is not None:
            state.position += input_ids.shape[1]
        return self.model.norm_f(r)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids [B, T] -> logits [B, T, V] from an empty state (training, full prefill)."""
        return self.lm_head(self._hidden(input_ids, None, naive=False)).float()

    def hidden_states(self, input_ids: torch.Tensor, state: RodimusState | None = None) -> torch.Tensor:
        """Last-layer hidden states after the final norm, [B, T, d]; continues from ``state`` when given."""
        return self._hidden(input_ids, state, naive=False)

    def prefill(self, input_ids: torch.Tensor, state: RodimusState) -> torch.Tensor:
        """Consume input_ids [B, T] on top of ``state`` (updated in place) -> logits [B, T, V]."""
        return self.lm_head(self._hidden(input_ids, state, naive=False)).float()

    def step(self, input_ids: torch.Tensor, state: RodimusState) -> torch.Tensor:
        """One token per sequence, input_ids [B] -> logits [B, V]; O(1) in the position."""
        return self.lm_head(self.step_hidden(input_ids, state)).float()

    def step_hidden(self, input_ids: torch.Tensor, state: RodimusState) -> torch.Tensor:
        """``step`` up to the final norm, input_ids [B] -> hidden [B, d], for a caller that projects only some
        vocabulary rows (the LM head reads the whole [V, d] matrix, the largest cost of a small model's step)."""
        return self.model.norm_f(self._step_residual(input_ids, state))

    def advance(self, input_ids: torch.Tensor, state: RodimusState) -> None:
        """``step`` without the vocabulary projection, for a caller that only needs the state (the LM head is
        about a quarter of a small model's step)."""
        self._step_residual(input_ids, state)

    def _step_residual(self, input_ids: torch.Tensor, state: RodimusState) -> torch.Tensor:
        """One token per sequence through every layer, input_ids [B] -> the residual stream [B, d]."""
        if input_ids.dim() != 1 or input_ids.shape[0] != state.batch_size:
            raise ValueError(f"input_ids must be [{state.batch_size}], got shape {tuple(input_ids.shape)}")
        r = self._embed(input_ids)
        for layer, layer_state in zip(self.model.layers, state.layers):
            r = layer.step(r, layer_state, state.position)
        state.position += 1
        return r

    def forward_reference(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Logits [B, T, V] from the per-token recurrence and dense masked attention (slow; for tests)."""
        return self.lm_head(self._hidden(input_ids, None, naive=True)).float()

    # ----------------------------------------------------------------------------------------------- state
    def new_state(self, batch_size: int = 1) -> RodimusState:
        """A zero state for ``batch_size`` sequences on the model's device, at position 0."""
        cfg = self.config
        weight = self.model.embeddings.weight
        dtype, device = weight.dtype, weight.device
        layers = []
        for _ in range(cfg.n_layer):
            layer = LayerState(
                conv=torch.zeros(batch_size, cfg.d_inner, cfg.d_conv, dtype=dtype, device=device),
                ssm=torch.zeros(batch_size, cfg.mem_size, cfg.d_inner, dtype=torch.float32, device=device),
            )
            if cfg.is_plus:
                W, hd = cfg.left_window, cfg.head_dim
                layer.keys = torch.zeros(batch_size, W, cfg.num_heads_k, hd, dtype=dtype, device=device)
                layer.values = torch.zeros(batch_size, W, cfg.num_heads_v, hd, dtype=dtype, device=device)
            layers.append(layer)
        return RodimusState(layers)
