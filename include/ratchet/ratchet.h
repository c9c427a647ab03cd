// Ratchet: policy-gradient reinforcement learning in C++. Include this for the whole public API.
#pragma once

#include "ratchet/algo.h"
#include "ratchet/comm.h"
#include "ratchet/config.h"
#include "ratchet/core.h"
#include "ratchet/deploy.h"
#include "ratchet/draw.h"
#include "ratchet/dist.h"
#include "ratchet/env.h"
#include "ratchet/experiment.h"
#include "ratchet/log.h"
#include "ratchet/nn.h"
#include "ratchet/policy.h"
#include "ratchet/train.h"
#include "ratchet/tune.h"
