// verigrad's nn layer in one include: Neuron, Layer and MLP (nn/network.hpp), losses, optimisers,
// datasets and the training loop.
#pragma once

#include "nn/activation.hpp"
#include "nn/datasets.hpp"
#include "nn/losses.hpp"
#include "nn/module.hpp"
#include "nn/network.hpp"
#include "nn/optim.hpp"
#include "nn/rng.hpp"
#include "nn/serialize.hpp"
#include "nn/train.hpp"
