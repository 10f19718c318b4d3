"""One-time links: signing and verifying their tokens (``tokens``), and what a link is
worth and redeeming it exactly once (``redemption``)."""
