"""Optimizer updates on whole lists of variables (torch): one ``_foreach`` kernel per formula.

The math is the frontend's (Keras's SGD and Adam, see ``BACKEND_API``); doing it
for every variable at once replaces a few small ops per variable with a few
calls in all, as ``torch.optim``'s foreach implementations do. The frontend
calls them inside ``no_recording()`` (``torch.no_grad``), so they may write
into leaf tensors that require gradients.
"""

from __future__ import annotations

import torch

from .core import tensor


def _like(grads, variables):
    """Gradients as tensors of their variable's dtype and device (foreach kernels need it)."""
    return [g if type(g) is torch.Tensor and g.dtype == v.dtype and g.device == v.device
            else tensor(g, v.device).to(v.dtype) for g, v in zip(grads, variables)]


def _rate(value):
    """A Python number for ``alpha=``-style arguments, or a 0-d tensor to multiply by."""
    if isinstance(value, torch.Tensor) and value.dim() == 0 and value.device.type == "cpu":
        return value.item()
    return value


def _scaled(tensors, scale):
    if isinstance(scale, torch.Tensor):
        return torch._foreach_mul(tensors, scale)
    return torch._foreach_mul(tensors, float(scale))


def sgd_update(variables, grads, velocities, learning_rate, momentum, nesterov):
    grads = _like(grads, variables)
    lr = _rate(learning_rate)
    if velocities is None:
        if isinstance(lr, torch.Tensor):
            torch._foreach_sub_(variables, _scaled(grads, lr))
        else:
            torch._foreach_add_(variables, grads, alpha=-lr)
        return
    steps = _scaled(grads, lr)
    torch._foreach_mul_(velocities, momentum)
    torch._foreach_sub_(velocities, steps)
    if nesterov:
        torch._foreach_sub_(variables, steps)
        torch._foreach_add_(variables, velocities, alpha=momentum)
    else:
        torch._foreach_add_(variables, velocities)


def adam_update(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon):
    grads = _like(grads, variables)
    torch._foreach_lerp_(ms, grads, 1.0 - beta_1)
    torch._foreach_mul_(vs, beta_2)
    torch._foreach_addcmul_(vs, grads, grads, value=1.0 - beta_2)
    denominators = torch._foreach_sqrt(vs)
    torch._foreach_add_(denominators, epsilon)
    alpha = _rate(alpha)
    if isinstance(alpha, torch.Tensor):
        torch._foreach_sub_(variables, _scaled(torch._foreach_div(ms, denominators), alpha))
    else:
        torch._foreach_addcdiv_(variables, ms, denominators, value=-alpha)
