# Latent Studio: the two commands are `make run` and `make test`.
BUILD ?= build
JOBS  ?= 2
MODEL ?= models/olivetti-pca
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/latent-studio --model $(MODEL)

test: build
	cd $(BUILD) && ctest --output-on-failure

bench:
	@LATENT_BENCH_DEPS=1 scripts/install-deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DLATENT_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS) --target bench_pca_fit
	bench/run_pca_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
