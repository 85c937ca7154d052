"""Train a DCGAN (TensorFlow's DCGAN tutorial, in plugnet) to draw digits, on any backend.

On MNIST this is the tutorial itself: the generator grows 7x7 feature maps to
28x28 images, and both models learn with Adam at 1e-4. On the offline
fallback, scikit-learn's 8x8 digits (used when MNIST is not available), the
digits are enlarged to 16x16 and a smaller variant of the two models learns
them (``VARIANTS`` says how and why). After every epoch a grid of generated
digits is saved as ``<out>/epoch_NNN.png`` (when matplotlib is installed).

    python examples/dcgan.py --backend torch --out dcgan_images
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass

import numpy as np

NOISE_DIM = 100
GRID_SIZE = 16  # digits per saved grid, always drawn from the same noise


@dataclass(frozen=True)
class Variant:
    """The image size and the models' sizes and training settings for one data set."""

    upsample: int  # the images are enlarged this many times (bilinear) before training
    generator_widths: tuple  # filters of the dense layer's maps and of the two hidden transposed convolutions
    discriminator_widths: tuple  # filters of the two convolutions
    kernel_size: int
    learning_rate: float  # of both Adams
    beta_1: float
    epochs: int
    batch_size: int


VARIANTS = {
    # TensorFlow's tutorial, unchanged.
    "mnist": Variant(1, (256, 128, 64), (64, 128), 5, 1e-4, 0.9, epochs=50, batch_size=256),
    # On the blocky 8x8 digits themselves the generator falls back, for thousands of steps,
    # on one or a few shapes that it swaps in turn; enlarged to 16x16 (smooth strokes, as
    # MNIST has) it draws varied digits from the first epochs. At that size, halved widths
    # and 3x3 kernels make a step five times cheaper than the tutorial's models, and the
    # DCGAN paper's Adam(2e-4, beta_1=0.5) collapses less early on than the tutorial's 1e-4.
    "digits": Variant(2, (128, 64, 32), (32, 64), 3, 2e-4, 0.5, epochs=150, batch_size=64),
}


def enlarge(plugnet, images: np.ndarray, factor: int) -> np.ndarray:
    """``(n, H, W, 1)`` images ``factor`` times larger per side, bilinearly interpolated."""
    if factor == 1:
        return images
    upsampling = plugnet.layers.UpSampling2D(factor, interpolation="bilinear")
    return plugnet.ops.convert_to_numpy(upsampling(images))


def build_generator(plugnet, side: int, variant: Variant = VARIANTS["mnist"]):
    """Noise ``(NOISE_DIM,)`` -> image ``(4 * side, 4 * side, 1)`` in [-1, 1]."""
    from plugnet import layers

    dense_width, hidden_width, last_width = variant.generator_widths
    kernel = variant.kernel_size
    return plugnet.Sequential(
        [
            layers.Input(shape=(NOISE_DIM,)),
            layers.Dense(side * side * dense_width, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((side, side, dense_width)),
            layers.Conv2DTranspose(hidden_width, kernel, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(last_width, kernel, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(1, kernel, strides=2, padding="same", use_bias=False, activation="tanh"),
        ],
        name="generator",
    )


def build_discriminator(plugnet, image_shape, variant: Variant = VARIANTS["mnist"]):
    """Image -> one logit: real (positive) or generated (negative)."""
    from plugnet import layers

    first_width, second_width = variant.discriminator_widths
    kernel = variant.kernel_size
    return plugnet.Sequential(
        [
            layers.Input(shape=image_shape),
            layers.Conv2D(first_width, kernel, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(second_width, kernel, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


class GAN:
    """The two models, their optimizers and the tutorial's ``train_step``."""

    def __init__(self, plugnet, side: int, variant: Variant = VARIANTS["mnist"]):
        self.plugnet = plugnet
        self.generator = build_generator(plugnet, side, variant)
        self.discriminator = build_discriminator(plugnet, (4 * side, 4 * side, 1), variant)
        self.cross_entropy = plugnet.losses.BinaryCrossentropy(from_logits=True)
        self.generator_optimizer = plugnet.optimizers.Adam(variant.learning_rate, beta_1=variant.beta_1)
        self.discriminator_optimizer = plugnet.optimizers.Adam(variant.learning_rate, beta_1=variant.beta_1)

    def generator_loss(self, fake_output):
        ops = self.plugnet.ops
        return self.cross_entropy(ops.ones_like(fake_output), fake_output)

    def discriminator_loss(self, real_output, fake_output):
        ops = self.plugnet.ops
        real_loss = self.cross_entropy(ops.ones_like(real_output), real_output)
        fake_loss = self.cross_entropy(ops.zeros_like(fake_output), fake_output)
        return ops.add(real_loss, fake_loss)

    def train_step(self, images):
        plugnet = self.plugnet
        noise = plugnet.random.normal((plugnet.ops.shape(images)[0], NOISE_DIM))
        with plugnet.GradientTape() as gen_tape, plugnet.GradientTape() as disc_tape:
            generated_images = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated_images, training=True)
            gen_loss = self.generator_loss(fake_output)
            disc_loss = self.discriminator_loss(real_output, fake_output)
        gen_variables = self.generator.trainable_variables
        disc_variables = self.discriminator.trainable_variables
        gradients_of_generator = gen_tape.gradient(gen_loss, gen_variables)
        gradients_of_discriminator = disc_tape.gradient(disc_loss, disc_variables)
        self.generator_optimizer.apply_gradients(zip(gradients_of_generator, gen_variables))
        self.discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, disc_variables))
        return gen_loss, disc_loss


def save_grid(images: np.ndarray, path: str) -> bool:
    """Images ``(n, H, W, 1)`` in [-1, 1] as a square PNG grid; False (with a notice) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed; not saving {path} (pip install matplotlib).")
        return False
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns, rows))
    for index, axis in enumerate(np.ravel(axes)):
        axis.axis("off")
        if index < len(images):
            axis.imshow(images[index, :, :, 0] * 127.5 + 127.5, cmap="gray", vmin=0, vmax=255)
    figure.savefig(path)
    plt.close(figure)
    return True


def main(argv=None) -> tuple[list[float], list[float]]:
    """Train; returns the per-epoch mean generator losses and discriminator losses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None, help="numpy (default), torch, tensorflow, or a plugin's")
    parser.add_argument("--dataset", choices=("auto", "mnist", "digits"), default="auto")
    parser.add_argument("--epochs", type=int, default=None,
                        help="default: " + ", ".join(f"{v.epochs} on {d}" for d, v in VARIANTS.items()))
    parser.add_argument("--batch-size", type=int, default=None,
                        help="default: " + ", ".join(f"{v.batch_size} on {d}" for d, v in VARIANTS.items()))
    parser.add_argument("--limit", type=int, default=None, help="train on only the first N images")
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights, the noise, the dropout and the order")
    parser.add_argument("--out", default="dcgan_images", help="folder for the per-epoch image grids")
    args = parser.parse_args(argv)
    # The sibling example: MNIST, or the digits when offline.
    from mnist import load_images, reject_non_positive_counts

    reject_non_positive_counts(parser, args)

    import plugnet

    if args.backend:
        plugnet.set_backend(args.backend)
    plugnet.utils.set_random_seed(args.seed)
    (x_train, _), _, name = load_images(args.dataset)
    if args.limit is not None:
        x_train = x_train[: args.limit]
    variant = VARIANTS[name]
    x_train = enlarge(plugnet, x_train, variant.upsample)
    x_train = x_train * 2.0 - 1.0  # [0, 1] -> [-1, 1], the range of the generator's tanh
    side = x_train.shape[1] // 4
    if side * 4 != x_train.shape[1] or x_train.shape[1] != x_train.shape[2]:
        raise ValueError(f"dcgan: images must be square with a side divisible by 4, got {x_train.shape[1:3]}")
    epochs = args.epochs or variant.epochs
    batch_size = args.batch_size or variant.batch_size

    gan = GAN(plugnet, side, variant)
    grid_noise = plugnet.random.normal((GRID_SIZE, NOISE_DIM), seed=1)
    os.makedirs(args.out, exist_ok=True)
    shuffler = np.random.default_rng(args.seed)
    gen_losses, disc_losses = [], []
    print(f"backend={plugnet.backend.name()} data={name} images={x_train.shape}")
    for epoch in range(epochs):
        order = shuffler.permutation(len(x_train))
        gen_total = disc_total = 0.0
        batches = 0
        for start in range(0, len(order), batch_size):
            batch = plugnet.ops.convert_to_tensor(x_train[order[start: start + batch_size]])
            gen_loss, disc_loss = gan.train_step(batch)
            gen_total += float(plugnet.ops.convert_to_numpy(gen_loss))
            disc_total += float(plugnet.ops.convert_to_numpy(disc_loss))
            batches += 1
        gen_losses.append(gen_total / batches)
        disc_losses.append(disc_total / batches)
        path = os.path.join(args.out, f"epoch_{epoch + 1:03d}.png")
        images = plugnet.ops.convert_to_numpy(gan.generator(grid_noise, training=False))
        saved = save_grid(images, path)
        print(f"epoch {epoch + 1}/{epochs}: generator loss {gen_losses[-1]:.4f}, "
              f"discriminator loss {disc_losses[-1]:.4f}" + (f", saved {path}" if saved else ""))
    return gen_losses, disc_losses


if __name__ == "__main__":
    main()
