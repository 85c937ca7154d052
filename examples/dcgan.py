"""Train a DCGAN (TensorFlow's DCGAN tutorial, in plugnet) to draw digits, on any backend.

On MNIST the generator grows 7x7 feature maps to 28x28 images; on the offline
fallback (scikit-learn's 8x8 digits, used when MNIST is not available) it
grows 2x2 maps to 8x8. After every epoch a grid of generated digits is saved
as ``<out>/epoch_NNN.png`` (when matplotlib is installed).

    python examples/dcgan.py --backend torch --epochs 20 --out dcgan_images
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

NOISE_DIM = 100
GRID_SIZE = 16  # digits per saved grid, always drawn from the same noise


def build_generator(plugnet, side: int):
    """Noise ``(NOISE_DIM,)`` -> image ``(4 * side, 4 * side, 1)`` in [-1, 1]."""
    from plugnet import layers

    return plugnet.Sequential(
        [
            layers.Input(shape=(NOISE_DIM,)),
            layers.Dense(side * side * 256, use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((side, side, 256)),
            layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
        ],
        name="generator",
    )


def build_discriminator(plugnet, image_shape):
    """Image -> one logit: real (positive) or generated (negative)."""
    from plugnet import layers

    return plugnet.Sequential(
        [
            layers.Input(shape=image_shape),
            layers.Conv2D(64, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(128, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


class GAN:
    """The two models, their optimizers and the tutorial's ``train_step``."""

    def __init__(self, plugnet, side: int):
        self.plugnet = plugnet
        self.generator = build_generator(plugnet, side)
        self.discriminator = build_discriminator(plugnet, (4 * side, 4 * side, 1))
        self.cross_entropy = plugnet.losses.BinaryCrossentropy(from_logits=True)
        self.generator_optimizer = plugnet.optimizers.Adam(1e-4)
        self.discriminator_optimizer = plugnet.optimizers.Adam(1e-4)

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
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--limit", type=int, default=None, help="train on only the first N images")
    parser.add_argument("--out", default="dcgan_images", help="folder for the per-epoch image grids")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error(f"--limit must be a positive number of images, got {args.limit}")

    import plugnet
    from mnist import load_images  # the sibling example: MNIST, or the digits when offline

    if args.backend:
        plugnet.set_backend(args.backend)
    plugnet.utils.set_random_seed(0)
    (x_train, _), _, name = load_images(args.dataset)
    if args.limit is not None:
        x_train = x_train[: args.limit]
    x_train = x_train * 2.0 - 1.0  # [0, 1] -> [-1, 1], the range of the generator's tanh
    side = x_train.shape[1] // 4
    if side * 4 != x_train.shape[1] or x_train.shape[1] != x_train.shape[2]:
        raise ValueError(f"dcgan: images must be square with a side divisible by 4, got {x_train.shape[1:3]}")

    gan = GAN(plugnet, side)
    grid_noise = plugnet.random.normal((GRID_SIZE, NOISE_DIM), seed=1)
    os.makedirs(args.out, exist_ok=True)
    shuffler = np.random.default_rng(0)
    gen_losses, disc_losses = [], []
    print(f"backend={plugnet.backend.name()} data={name} images={x_train.shape}")
    for epoch in range(args.epochs):
        order = shuffler.permutation(len(x_train))
        gen_total = disc_total = 0.0
        batches = 0
        for start in range(0, len(order), args.batch_size):
            batch = plugnet.ops.convert_to_tensor(x_train[order[start: start + args.batch_size]])
            gen_loss, disc_loss = gan.train_step(batch)
            gen_total += float(plugnet.ops.convert_to_numpy(gen_loss))
            disc_total += float(plugnet.ops.convert_to_numpy(disc_loss))
            batches += 1
        gen_losses.append(gen_total / batches)
        disc_losses.append(disc_total / batches)
        path = os.path.join(args.out, f"epoch_{epoch + 1:03d}.png")
        images = plugnet.ops.convert_to_numpy(gan.generator(grid_noise, training=False))
        saved = save_grid(images, path)
        print(f"epoch {epoch + 1}/{args.epochs}: generator loss {gen_losses[-1]:.4f}, "
              f"discriminator loss {disc_losses[-1]:.4f}" + (f", saved {path}" if saved else ""))
    return gen_losses, disc_losses


if __name__ == "__main__":
    main()
