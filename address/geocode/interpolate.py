"""Door-number interpolation along a road, the way house numbers are laid out in China: odd
numbers on one side, even on the other, rising along the road."""


def interpolate_door(
    number: int, known: list[tuple[int, float, float]]
) -> tuple[float, float] | None:
    """A point for ``number`` between the nearest known doors on the same side (same parity);
    None when it is not bracketed by two known doors (no extrapolation: that would be a guess)."""
    side = sorted((n, x, y) for n, x, y in known if n % 2 == number % 2 and n != number)
    below = [d for d in side if d[0] < number]
    above = [d for d in side if d[0] > number]
    if not below or not above:
        return None
    (n0, x0, y0), (n1, x1, y1) = below[-1], above[0]
    t = (number - n0) / (n1 - n0)
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)
