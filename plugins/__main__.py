"""``python -m plugnet.plugins ops-markdown``: print the op contract as Markdown (docs/ops.md)."""

import sys

from plugnet.plugins.contract import markdown


def main(argv: list[str]) -> int:
    if argv[:1] != ["ops-markdown"]:
        print("usage: python -m plugnet.plugins ops-markdown > docs/ops.md", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
