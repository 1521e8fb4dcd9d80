"""Entry point (replaced below)."""


def main() -> int:
    return 0
