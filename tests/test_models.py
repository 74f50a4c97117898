"""Models: gradients against finite differences, the layer functions they run on, bad input."""

from __future__ import annotations

import types

import numpy as np
import pytest

from backpropkit.gradcheck import numerical_gradient, relative_error
from backpropkit.layer_set import LayerSet
from backpropkit.layers import activations
from backpropkit.losses import softmax_loss
from backpropkit.networks import ConvNet, FullyConnectedNet
from backpropkit.sequential import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, Tanh


def numerical_param_gradients(model, X, y):
    """Centered differences of ``model.loss`` (a NumPy model) for every parameter, changed in place."""
    return {name: numerical_gradient(lambda _: model.loss(X, y)[0], value) for name, value in model.params.items()}


def assert_gradients_match(build, backend, X, y, tolerance=1e-6):
    """Analytic gradients of the model built on ``backend`` against finite differences of the same
    model (same seed, same parameters) built on NumPy."""
    model = build(like=backend(np.zeros(1)))
    _, analytic = model.loss(backend(X), backend(y))
    numeric = numerical_param_gradients(build(like=None), X, y)
    assert set(analytic) == set(model.params) == set(numeric)
    for name, expected in numeric.items():
        got = backend.get(analytic[name])
        assert got.shape == expected.shape, name
        error = relative_error(got, expected)
        assert error < tolerance, f"{name}: relative error {error:.2e}"


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "leaky_relu", "elu"])
def test_fully_connected_gradients_match_finite_differences(backend, activation):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 5)), np.array([0, 2, 1, 2])
    build = lambda like: FullyConnectedNet(5, [6, 4], 3, activation=activation, reg=0.1, like=like, seed=1)
    assert_gradients_match(build, backend, X, y)


def test_convnet_gradients_match_finite_differences(backend):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(2, 2, 4, 4)), np.array([1, 0])
    build = lambda like: ConvNet((2, 4, 4), num_filters=(3,), filter_size=3, hidden_dims=(5,), num_classes=2,
                                 reg=0.05, like=like, seed=2)
    assert_gradients_match(build, backend, X, y)


def test_sequential_gradients_match_a_convnet_stack(backend):
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(3, 1, 4, 4)), np.array([0, 1, 2])

    def build(like):
        model = Sequential([Conv2D(2), ReLU(), MaxPool2D(), Flatten(), Dense(5), Tanh(), Dense(3)], like=like, seed=3)
        return model.compile(reg=0.01).build((1, 4, 4))

    assert_gradients_match(build, backend, X, y)
    model = build(None)
    assert model.output_shapes[:3] == [(2, 4, 4), (2, 4, 4), (2, 2, 2)]
    assert model.num_parameters() == (2 * 1 * 9 + 2) + (8 * 5 + 5) + (5 * 3 + 3)
    assert f"total parameters: {model.num_parameters()}" in model.summary()


def test_parameters_follow_like_and_dtype(backend):
    like = backend(np.zeros(1, dtype=np.float32))
    model = FullyConnectedNet(3, [4], 2, like=like)
    assert all(type(p) is type(like) and p.dtype == like.dtype for p in model.params.values())
    assert model.params["W1"].shape == (3, 4) and model.params["b2"].shape == (2,)
    np.testing.assert_array_equal(backend.get(model.params["b1"]), np.zeros(4))


def test_initialization_scales_with_fan_in():
    relu_net = FullyConnectedNet(400, [400], 10, seed=0)
    tanh_net = FullyConnectedNet(400, [400], 10, activation="tanh", seed=0)
    fixed = FullyConnectedNet(400, [400], 10, weight_scale=1e-2, seed=0)
    assert np.std(relu_net.params["W1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.05)  # He
    assert np.std(tanh_net.params["W1"]) == pytest.approx(np.sqrt(2 / 800), rel=0.05)  # Xavier
    assert np.std(fixed.params["W1"]) == pytest.approx(1e-2, rel=0.05)


def test_dropout_is_random_in_training_and_off_in_test_mode():
    X = np.random.default_rng(0).normal(size=(20, 10))
    y = np.arange(20) % 3
    model = FullyConnectedNet(10, [50], 3, keep_prob=0.5, seed=0)
    assert model.loss(X, y)[0] != model.loss(X, y)[0]
    np.testing.assert_array_equal(model.scores(X), model.scores(X))


def test_predict_accuracy_and_evaluate_agree():
    X = np.random.default_rng(0).normal(size=(30, 4))
    y = np.arange(30) % 3
    model = FullyConnectedNet(4, [8], 3, reg=0.5)
    predictions = model.predict(X)
    assert predictions.shape == (30,)
    assert model.accuracy(X, y) == pytest.approx(np.mean(predictions == y))
    loss, accuracy = model.evaluate(X, y)
    assert accuracy == model.accuracy(X, y)
    assert loss == pytest.approx(model.loss(X, y)[0])  # no dropout: training and test loss agree
    np.testing.assert_allclose(model.probabilities(X).sum(axis=1), 1.0)


def test_images_are_flattened_for_a_fully_connected_net():
    X = np.random.default_rng(0).normal(size=(5, 1, 2, 3))
    model = FullyConnectedNet(6, [4], 2)
    np.testing.assert_allclose(model.scores(X), model.scores(X.reshape(5, 6)))


def test_layer_set_from_a_namespace_prefers_fast_pairs_and_takes_overrides():
    def conv_forward_naive(): ...
    def conv_backward_naive(): ...
    def conv_forward_fast(): ...
    def conv_backward_fast(): ...
    def max_pool_forward_naive(): ...  # no matching backward: not taken
    def my_relu(): ...

    names = dict(locals(), relu_forward=activations.relu_forward, relu_backward=activations.relu_backward)
    chosen = LayerSet.from_namespace(names, relu_backward=my_relu)
    assert chosen.conv_forward is conv_forward_fast and chosen.conv_backward is conv_backward_fast
    assert chosen.max_pool_forward is None
    assert chosen.relu_forward is activations.relu_forward and chosen.relu_backward is my_relu
    module = types.SimpleNamespace(relu_forward=my_relu)
    assert LayerSet.from_namespace(module).relu_forward is my_relu
    filled = LayerSet.from_namespace({}, fallback=LayerSet.reference())
    assert filled.affine_forward is LayerSet.reference().affine_forward
    with pytest.raises(TypeError, match="unknown layer roles"):
        LayerSet.from_namespace({}, relu_fwd=my_relu)


def test_a_model_names_the_layer_functions_it_lacks():
    partial = LayerSet.from_namespace({"relu_forward": activations.relu_forward})
    with pytest.raises(ValueError, match="affine_forward, affine_backward, relu_backward, softmax_loss"):
        FullyConnectedNet(4, [3], 2, layers=partial)
    with pytest.raises(ValueError, match="dropout_forward, dropout_backward"):
        FullyConnectedNet(4, [3], 2, keep_prob=0.5, layers=LayerSet.reference().replace(dropout_forward=None,
                                                                                        dropout_backward=None))
    with pytest.raises(TypeError, match="layers must be a LayerSet"):
        FullyConnectedNet(4, [3], 2, layers=globals())


def test_the_model_runs_on_the_functions_it_is_given():
    calls = []

    def counting_relu_backward(dout, cache):
        calls.append(dout.shape)
        return activations.relu_backward(dout, cache)

    layers = LayerSet.reference().replace(relu_backward=counting_relu_backward)
    model = FullyConnectedNet(4, [3, 5], 2, layers=layers)
    model.loss(np.ones((6, 4)), np.zeros(6, dtype=int))
    assert calls == [(6, 5), (6, 3)]


def test_unfinished_reference_layers_explain_what_to_do(monkeypatch):
    def unfinished(*args):
        raise NotImplementedError("relu_backward")

    reference = LayerSet.reference()
    monkeypatch.setattr(LayerSet, "reference", classmethod(lambda cls: reference.replace(relu_backward=unfinished)))
    model = FullyConnectedNet(4, [3], 2)
    with pytest.raises(NotImplementedError, match=r"LayerSet.from_namespace\(globals\(\)\)"):
        model.loss(np.ones((2, 4)), np.zeros(2, dtype=int))
    own = FullyConnectedNet(4, [3], 2, layers=reference.replace(relu_backward=unfinished))
    with pytest.raises(NotImplementedError, match="^relu_backward$"):
        own.loss(np.ones((2, 4)), np.zeros(2, dtype=int))


def test_bad_input_is_named():
    model = FullyConnectedNet(4, [3], 2)
    with pytest.raises(ValueError, match=r"labels outside 0..1"):
        model.loss(np.ones((3, 4)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"examples of shape \(4,\)"):
        model.loss(np.ones((3, 5)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="X is empty"):
        model.scores(np.ones((0, 4)))
    with pytest.raises(TypeError, match="y must hold integer class labels"):
        model.loss(np.ones((3, 4)), np.array([0.0, 1.0, 1.0]))
    with pytest.raises(TypeError, match=r"model.to\(X\)"):
        from backends import BACKENDS

        model.scores(BACKENDS["strict-device1"](np.ones((3, 4))))
    with pytest.raises(ValueError, match="activation must be one of"):
        FullyConnectedNet(4, [3], 2, activation="softplus")
    with pytest.raises(ValueError, match="keep_prob must be a probability"):
        FullyConnectedNet(4, [3], 2, keep_prob=0.0)
    with pytest.raises(ValueError, match="2x2 pool cannot halve"):
        ConvNet((1, 6, 6), num_filters=(4, 4))
    with pytest.raises(ValueError, match="filter_size must be odd"):
        ConvNet(filter_size=2)
    with pytest.raises(TypeError, match="non-empty list of layers"):
        Sequential([])
    with pytest.raises(ValueError, match="last layer must output class scores"):
        Sequential([Conv2D(2)]).build((1, 4, 4))


def test_model_to_moves_parameters(backend):
    model = FullyConnectedNet(3, [2], 2, seed=4)
    before = {k: v.copy() for k, v in model.params.items()}
    model.to(backend(np.zeros(1, dtype=np.float32)))
    X = backend(np.ones((2, 3), dtype=np.float32))
    assert model.scores(X).shape == (2, 2)
    np.testing.assert_allclose(backend.get(model.params["W1"]), before["W1"], rtol=1e-6)


def test_sequential_compiles_fits_and_evaluates():
    from backpropkit.data import make_moons

    X, y = make_moons(200, noise=0.1, seed=0)
    X_val, y_val = make_moons(100, noise=0.1, seed=1)
    model = Sequential([Dense(16), ReLU(), Dropout(0.9), Dense(2)]).compile(optimizer="adam", lr=3e-2)
    history = model.fit(X, y, epochs=10, batch_size=50, validation_data=(X_val, y_val), progress=False)
    assert history.epochs == 10 and history.train_loss[-1] < history.train_loss[0]
    loss, accuracy = model.evaluate(X_val, y_val)
    assert accuracy > 0.85 and np.isfinite(loss)
    assert model.predict(X_val).shape == (100,)


def test_labels_on_another_backend_than_the_inputs_are_refused():
    from backends import BACKENDS

    model = FullyConnectedNet(4, [3], 2)
    with pytest.raises(TypeError, match="arrays from different backends"):
        model.loss(np.ones((2, 4)), BACKENDS["strict-device1"](np.array([0, 1])))


def test_sequential_takes_a_loss_function_of_ones_own():
    def halved_softmax(scores, y):  # any (scores, y) -> (loss, dscores) will do
        loss, dscores = softmax_loss(scores, y)
        return loss / 2, dscores / 2

    X, y = np.random.default_rng(0).normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    named = Sequential([Dense(5), Tanh(), Dense(3)], seed=1).compile(loss="softmax")
    own = Sequential([Dense(5), Tanh(), Dense(3)], seed=1).compile(loss=halved_softmax)
    (loss, grads), (own_loss, own_grads) = named.loss(X, y), own.loss(X, y)
    assert own_loss == pytest.approx(loss / 2)
    for name in grads:
        np.testing.assert_allclose(own_grads[name], grads[name] / 2)
    with pytest.raises(ValueError, match="loss must be one of"):
        Sequential([Dense(3)]).compile(loss="hinge")
