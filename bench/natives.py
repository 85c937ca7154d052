"""Hand-written native training loops: what plugnet is measured against.

Each class trains a dense ReLU net (``sizes`` = layer widths) with plain SGD,
starting from the given NumPy weights, with its framework's own idioms:

* NumPy: forward, backward and update written by hand;
* PyTorch: autograd and ``torch.optim.SGD``;
* TensorFlow: a ``tf.function`` step around ``tf.GradientTape``.

``prepare(x, y)`` turns NumPy batches into the framework's tensors once, so
the timed ``step`` measures training, not conversion.
"""

from __future__ import annotations

import numpy as np


class NumpyNet:
    def __init__(self, weights, lr, loss):
        self.w = [w.copy() for w in weights]
        self.lr, self.loss = lr, loss

    def prepare(self, x, y):
        return x, y

    def step(self, x, y):
        w, n_layers = self.w, len(self.w) // 2
        acts = [x]
        for i in range(n_layers):
            z = acts[-1] @ w[2 * i] + w[2 * i + 1]
            acts.append(np.maximum(z, 0) if i < n_layers - 1 else z)
        out = acts[-1]
        if self.loss == "mse":
            diff = out - y
            loss = np.mean(np.square(diff))
            g = diff * (2.0 / diff.size)
        else:
            shifted = out - out.max(axis=1, keepdims=True)
            log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -np.mean(np.sum(y * log_p, axis=1))
            g = (np.exp(log_p) - y) / len(y)
        for i in reversed(range(n_layers)):
            gw, gb = acts[i].T @ g, g.sum(axis=0)
            if i:
                g = (g @ w[2 * i].T) * (acts[i] > 0)
            w[2 * i] -= self.lr * gw
            w[2 * i + 1] -= self.lr * gb
        return float(loss)


class TorchNet:
    def __init__(self, weights, lr, loss):
        import torch

        self.torch = torch
        self.params = [torch.tensor(w, requires_grad=True) for w in weights]
        self.opt = torch.optim.SGD(self.params, lr=lr)
        self.loss = loss

    def prepare(self, x, y):
        return self.torch.from_numpy(x), self.torch.from_numpy(y)

    def step(self, x, y):
        torch, p = self.torch, self.params
        self.opt.zero_grad(set_to_none=True)
        h = x
        n_layers = len(p) // 2
        for i in range(n_layers):
            h = torch.addmm(p[2 * i + 1], h, p[2 * i])
            if i < n_layers - 1:
                h = torch.relu(h)
        if self.loss == "mse":
            loss = torch.mean(torch.square(h - y))
        else:
            loss = -torch.mean(torch.sum(y * torch.log_softmax(h, dim=1), dim=1))
        loss.backward()
        self.opt.step()
        return loss.item()


class TensorFlowNet:
    def __init__(self, weights, lr, loss):
        import tensorflow as tf

        self.tf = tf
        self.vars = [tf.Variable(w) for w in weights]
        variables, n_layers = self.vars, len(weights) // 2

        @tf.function
        def step(x, y):
            with tf.GradientTape() as tape:
                h = x
                for i in range(n_layers):
                    h = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
                    if i < n_layers - 1:
                        h = tf.nn.relu(h)
                if loss == "mse":
                    value = tf.reduce_mean(tf.square(h - y))
                else:
                    value = -tf.reduce_mean(tf.reduce_sum(y * tf.nn.log_softmax(h, axis=1), axis=1))
            for v, g in zip(variables, tape.gradient(value, variables)):
                v.assign_sub(lr * g)
            return value

        self._step = step

    def prepare(self, x, y):
        return self.tf.constant(x), self.tf.constant(y)

    def step(self, x, y):
        return float(self._step(x, y))


NATIVE = {"numpy": NumpyNet, "torch": TorchNet, "tensorflow": TensorFlowNet}
