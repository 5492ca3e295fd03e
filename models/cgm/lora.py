"""LoRA on the LLM's linear layers (q, k, v, o, gate, up, down), named as PEFT saves them.

``LoRALinear`` is an ``nn.Linear`` (its own ``weight`` / ``bias`` keep the base model's names) with two extra
linears ``lora_A`` [r, in] and ``lora_B`` [out, r]: y = W x + b + (alpha / r) * B A dropout(x). A PEFT file's
``base_model.model.<module>.lora_A.weight`` is then our ``<module>.lora_A.weight``. ``merge_lora`` folds the
update into W and puts plain linears back, for export.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from models.cgm.config import LoraConfig


class LoRALinear(nn.Linear):
    def __init__(self, base: nn.Linear, config: LoraConfig) -> None:
        super().__init__(base.in_features, base.out_features, bias=base.bias is not None,
                         device=base.weight.device, dtype=base.weight.dtype)
        with torch.no_grad():
            self.weight.copy_(base.weight)
            if base.bias is not None:
                self.bias.copy_(base.bias)
        self.scale = config.scale
        self.dropout = config.dropout
        self.lora_A = nn.Linear(base.in_features, config.rank, bias=False, device=base.weight.device)
        self.lora_B = nn.Linear(config.rank, base.out_features, bias=False, device=base.weight.device)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = self.lora_B(self.lora_A(F.dropout(x, self.dropout, self.training).to(self.lora_A.weight.dtype)))
        return super().forward(x) + (self.scale * update).to(x.dtype)

    def merged(self) -> nn.Linear:
        """A plain linear with W + scale * B A."""
        out = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None,
                        device=self.weight.device, dtype=self.weight.dtype)
        with torch.no_grad():
            delta = self.scale * (self.lora_B.weight.float() @ self.lora_A.weight.float())
            out.weight.copy_(self.weight.float() + delta)
            if self.bias is not None:
                out.bias.copy_(self.bias)
        return out


def apply_lora(model: nn.Module, config: LoraConfig) -> list[str]:
    """Replace every linear whose own name is in ``config.targets`` by a LoRALinear; the base weights are frozen
    and the LoRA ones trainable (biases of the wrapped layers stay trainable, PEFT's bias="lora_only").
    Returns the wrapped modules' names."""
    model.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in config.targets and type(child) is nn.Linear:
                lora = LoRALinear(child, config)
                lora.weight.requires_grad_(False)
                setattr(module, child_name, lora)
                wrapped.append(f"{name}.{child_name}" if name else child_name)
    return wrapped


def merge_lora(model: nn.Module) -> int:
    """Fold every LoRALinear into a plain linear in place; returns how many were merged."""
    count = 0
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                setattr(module, child_name, child.merged())
                count += 1
    return count
