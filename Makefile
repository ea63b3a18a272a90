# greenroom: `make demo` runs the main job end to end; `make test` runs the test suite.
# Both create .venv when missing and install everything they need (torch first: the local
# CPU wheel, so that no CUDA build is pulled in). `make test` also installs the real ROS 2 launch
# system and `ros2` CLI from ../shared/ros2-cli into .venv when that folder exists, and colcon
# into its own venv (.venv-colcon: colcon-core pins setuptools < 80); both steps are skipped
# when already done.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
TORCH_PIN ?= torch==2.13.0
EXTRAS ?= train,ros,ray,dev
ROS2_CLI ?= ../shared/ros2-cli
COLCON_VENV ?= .venv-colcon
# Two pytest-xdist workers: the DDS and Ray tests run one at a time on one of them (tests/conftest.py).
TEST_WORKERS ?= 2

# DDS stays on loopback with a random domain in every process we start (tests, demo, CI).
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
export ROS_DOMAIN_ID ?= $(shell shuf -i 1-100 -n 1)
export RMW_IMPLEMENTATION := rmw_fastrtps_cpp
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= egl
export LP_NUM_THREADS ?= 0
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER := 0
export PYTHONUNBUFFERED := 1

.PHONY: install ros2-cli colcon demo test bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml setup.py
	$(PIP) install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH_PIN)"
	$(PIP) install -q -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

# launch, launch_ros, ros2launch, ros2cli ... (not on the package index): ros2 launch/node/topic/param.
$(VENV)/bin/ros2: $(wildcard $(ROS2_CLI)/install.sh) | $(VENV)/.installed
	bash $(ROS2_CLI)/install.sh $(abspath $(PY))
	touch $@

ros2-cli: $(if $(wildcard $(ROS2_CLI)/install.sh),$(VENV)/bin/ros2)

# colcon from the package index in a separate venv (greenroom.real.launch.colcon.COLCON_REQUIREMENTS).
colcon: $(VENV)/.installed
	$(PY) -c "from pathlib import Path; from greenroom.real.launch.colcon import ensure_colcon; ensure_colcon(Path('$(COLCON_VENV)'))"

demo: install
	AMENT_PREFIX_PATH=$(abspath $(VENV)) ROS_LOG_DIR=$$(mktemp -d) $(PY) -m greenroom.policies.flight.demo

test: install ros2-cli colcon
	AMENT_PREFIX_PATH=$(abspath $(VENV)) ROS_LOG_DIR=$$(mktemp -d) $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/greenroom bench flight

clean:
	rm -rf $(VENV) $(COLCON_VENV) build *.egg-info
