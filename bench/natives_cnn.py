"""Hand-written native training loops of the small CNN that plugnet is measured against.

The model: Conv 32 3x3 relu, MaxPool 2, Conv 64 3x3 relu, MaxPool 2, Flatten,
Dense 10 (logits); softmax cross-entropy; Adam with Keras's update rule
(``lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``). Weights come in
Keras's layout (channels_last kernels ``(kh, kw, in, out)``, Dense rows in
channels_last flatten order); each loop converts them to its framework's idiom
once:

* NumPy: im2col forward and backward written by hand (the bar plugnet's NumPy
  backend must meet);
* PyTorch: NCHW tensors, ``torch.nn.functional`` and ``torch.optim.Adam``;
* TensorFlow: NHWC ``tf.nn`` ops and the Adam update in one ``tf.function``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

ADAM = dict(lr=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


def _softmax_ce(logits, y):
    """Mean softmax cross-entropy of one-hot ``y`` and its gradient for ``logits``."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * log_p, axis=1)), (np.exp(log_p) - y) / len(y)


class NumpyCNN:
    """im2col convolutions, reshape-max pooling and Adam, all by hand."""

    def __init__(self, weights, lr):
        self.w = [w.copy() for w in weights]
        self.m = [np.zeros_like(w) for w in weights]
        self.v = [np.zeros_like(w) for w in weights]
        self.t = 0
        self.lr = lr

    def prepare(self, x, y):
        return np.ascontiguousarray(x), y

    @staticmethod
    def _im2col(x, k):
        n, h, w, c = x.shape
        oh, ow = h - k + 1, w - k + 1
        s = x.strides
        windows = as_strided(x, (n, oh, ow, k, k, c), (s[0], s[1], s[2], s[1], s[2], s[3]), writeable=False)
        return windows.reshape(n * oh * ow, k * k * c), (n, oh, ow)

    @staticmethod
    def _col2im(dcols, shape, k):
        """Adds each kernel tap's slice of the column gradient back onto the input grid."""
        n, h, w, c = shape
        oh, ow = h - k + 1, w - k + 1
        dcols = dcols.reshape(n, oh, ow, k, k, c)
        dx = np.zeros(shape, dcols.dtype)
        for i in range(k):
            for j in range(k):
                dx[:, i:i + oh, j:j + ow, :] += dcols[:, :, :, i, j, :]
        return dx

    @staticmethod
    def _pool(x):
        n, h, w, c = x.shape
        x = x[:, :h - h % 2, :w - w % 2, :]
        blocks = x.reshape(n, h // 2, 2, w // 2, 2, c)
        out = blocks.max(axis=(2, 4))
        mask = blocks == out[:, :, None, :, None, :]
        return out, mask

    @staticmethod
    def _unpool(g, mask, shape):
        dx = np.zeros(shape, g.dtype)
        n, h, w, c = shape
        dx[:, :h - h % 2, :w - w % 2, :] = (mask * g[:, :, None, :, None, :]).reshape(n, h - h % 2, w - w % 2, c)
        return dx

    def step(self, x, y):
        k1, b1, k2, b2, wd, bd = self.w
        cols1, (n, h1, w1) = self._im2col(x, 3)
        a1 = np.maximum(cols1 @ k1.reshape(-1, k1.shape[-1]) + b1, 0).reshape(n, h1, w1, -1)
        p1, mask1 = self._pool(a1)
        cols2, (_, h2, w2) = self._im2col(p1, 3)
        a2 = np.maximum(cols2 @ k2.reshape(-1, k2.shape[-1]) + b2, 0).reshape(n, h2, w2, -1)
        p2, mask2 = self._pool(a2)
        flat = p2.reshape(n, -1)
        loss, g = _softmax_ce(flat @ wd + bd, y)

        grads = [None] * 6
        grads[4], grads[5] = flat.T @ g, g.sum(axis=0)
        g = self._unpool((g @ wd.T).reshape(p2.shape), mask2, a2.shape) * (a2 > 0)
        g = g.reshape(-1, g.shape[-1])
        grads[2], grads[3] = (cols2.T @ g).reshape(k2.shape), g.sum(axis=0)
        g = self._col2im(g @ k2.reshape(-1, k2.shape[-1]).T, p1.shape, 3)
        g = (self._unpool(g, mask1, a1.shape) * (a1 > 0)).reshape(-1, k1.shape[-1])
        grads[0], grads[1] = (cols1.T @ g).reshape(k1.shape), g.sum(axis=0)
        self._adam(grads)
        return float(loss)

    def _adam(self, grads):
        self.t += 1
        b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
        alpha = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for w, m, v, g in zip(self.w, self.m, self.v, grads):
            m += (1 - b1) * (g - m)
            v += (1 - b2) * (g * g - v)
            w -= alpha * m / (np.sqrt(v) + eps)


def _channels_first_dense(kernel, spatial, channels):
    """Dense rows reordered from channels_last flatten order (h, w, c) to channels_first (c, h, w)."""
    return kernel.reshape(*spatial, channels, -1).transpose(2, 0, 1, 3).reshape(kernel.shape)


class TorchCNN:
    def __init__(self, weights, lr):
        import torch

        self.torch = torch
        k1, b1, k2, b2, wd, bd = weights
        converted = [k1.transpose(3, 2, 0, 1), b1, k2.transpose(3, 2, 0, 1), b2,
                     _channels_first_dense(wd, (5, 5), 64).T, bd]
        self.params = [torch.tensor(np.ascontiguousarray(w), requires_grad=True) for w in converted]
        self.opt = torch.optim.Adam(self.params, lr=lr, betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"])

    def prepare(self, x, y):
        return self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), self.torch.from_numpy(y)

    def step(self, x, y):
        torch = self.torch
        functional = torch.nn.functional
        k1, b1, k2, b2, wd, bd = self.params
        self.opt.zero_grad(set_to_none=True)
        h = functional.max_pool2d(torch.relu(functional.conv2d(x, k1, b1)), 2)
        h = functional.max_pool2d(torch.relu(functional.conv2d(h, k2, b2)), 2)
        logits = functional.linear(h.flatten(1), wd, bd)
        loss = -torch.mean(torch.sum(y * torch.log_softmax(logits, dim=1), dim=1))
        loss.backward()
        self.opt.step()
        return loss.item()


class TensorFlowCNN:
    def __init__(self, weights, lr):
        import tensorflow as tf

        self.tf = tf
        variables = [tf.Variable(w) for w in weights]
        moments = [(tf.Variable(tf.zeros_like(w)), tf.Variable(tf.zeros_like(w))) for w in weights]
        t = tf.Variable(0.0)
        b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]

        @tf.function
        def step(x, y):
            k1, c1, k2, c2, wd, bd = variables
            with tf.GradientTape() as tape:
                h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(x, k1, 1, "VALID") + c1), 2, 2, "VALID")
                h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(h, k2, 1, "VALID") + c2), 2, 2, "VALID")
                logits = tf.matmul(tf.reshape(h, (tf.shape(h)[0], -1)), wd) + bd
                loss = -tf.reduce_mean(tf.reduce_sum(y * tf.nn.log_softmax(logits, axis=1), axis=1))
            grads = tape.gradient(loss, variables)
            t.assign_add(1.0)
            alpha = lr * tf.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            for var, (m, v), g in zip(variables, moments, grads):
                m.assign_add((1 - b1) * (g - m))
                v.assign_add((1 - b2) * (tf.square(g) - v))
                var.assign_sub(alpha * m / (tf.sqrt(v) + eps))
            return loss

        self._step = step

    def prepare(self, x, y):
        return self.tf.constant(x), self.tf.constant(y)

    def step(self, x, y):
        return float(self._step(x, y))


NATIVE_CNN = {"numpy": NumpyCNN, "torch": TorchCNN, "tensorflow": TensorFlowCNN}
