import numpy as np

import nncore


def test_engines_agree_on_a_small_net():
    rng = np.random.default_rng(0)
    net = nncore.MLP([2, 5, 1], activation="tanh")
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    _, reference = nncore.backprop(net, X, Y, engine="vectorized")
    for engine in ("scalar", "loop"):
        _, grads = nncore.backprop(net, X, Y, engine=engine)
        for (dW, db), (rW, rb) in zip(grads, reference):
            np.testing.assert_allclose(dW, rW, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(db, rb, rtol=1e-10, atol=1e-14)
