# Latent Studio: the two commands are `make run` and `make test`.
BUILD ?= build
JOBS  ?= 2
MODEL ?= models/olivetti-pca
CMAKE_FLAGS ?=

SAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz

.PHONY: all deps configure build run test sanitize-test fuzz-replay bench clean

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

# The core tests (loaders, sessions with kill -9 and fault injection, fuzz corpora, jobs)
# under AddressSanitizer + UBSan, any finding fatal. LibTorch, CLI and GUI tests are left
# to `make test` (see docs/reliability.md for why and for the time it takes).
# -O1 -g1 (line tables): ASan's advice for readable reports, and much quicker to build
# than -O2 -g. The exhaustive loops (every allocation failing in turn, 1,000 kills) take
# every 4th case here; `make test` runs all of them.
sanitize-test: deps
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
	  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1" -DLATENT_BUILD_APP=OFF \
	  -DLATENT_SANITIZE="address;undefined" $(CMAKE_FLAGS)
	cmake --build $(SAN_BUILD) -j$(JOBS) --target core_tests
	cd $(SAN_BUILD) && LATENT_TEST_STRIDE=4 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -L core --output-on-failure

# Every loader under AddressSanitizer + UBSan (clang, libFuzzer builds of tests/fuzz,
# no LibTorch): each seed corpus run once, any finding fatal. CI runs it after `make test`.
fuzz-replay: deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENT_FUZZ=ON \
	  -DLATENT_BUILD_TESTS=OFF -DLATENT_BUILD_APP=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_all
	scripts/run-fuzz.sh $(FUZZ_BUILD) 0

bench:
	@LATENT_BENCH_DEPS=1 scripts/install-deps.sh
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DLATENT_BUILD_BENCH=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS) --target bench_pca_fit
	bench/run_pca_bench.sh $(BUILD)

clean:
	rm -rf $(BUILD)
