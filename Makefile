# glassbox — see README.md. `make run` and `make check` are the two commands a user needs.
PKGS     := ncursesw readline libpcre2-8 openblas
CC       ?= cc
OPT      ?= -O2
CFLAGS   := -std=c11 -Wall -Wextra -Werror $(OPT) -g -fopenmp -ffp-contract=off \
            -DGB_ASSETS_DIR='"$(CURDIR)/assets"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -fopenmp
TESTLIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

B        := build
SRCS     := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS     := $(SRCS:src/%.c=$(B)/obj/%.o)
TESTS    := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ATESTS   := $(patsubst tests/%.c,$(B)/asan/tests/%,$(wildcard tests/test_*.c))
AOBJS    := $(SRCS:src/%.c=$(B)/asan/obj/%.o)
MODEL    := assets/glassbox.gguf

.PHONY: all deps run check unit asan clitest bench format clean model corpus fuzz fuzzregress
all: $(B)/glassbox $(MODEL)

deps:
	@sh scripts/deps.sh

$(B)/obj/%.o: src/%.c $(wildcard src/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(B)/libglassbox.a: $(OBJS)
	ar rcs $@ $^
$(B)/glassbox: $(B)/obj/main.o $(B)/libglassbox.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)
$(B)/tests/%: tests/%.c $(B)/libglassbox.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Isrc $< $(B)/libglassbox.a -o $@ $(TESTLIBS) $(LDLIBS)

$(B)/asan/obj/%.o: src/%.c $(wildcard src/*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@
$(B)/asan/libglassbox.a: $(AOBJS)
	ar rcs $@ $^
$(B)/asan/tests/%: tests/%.c $(B)/asan/libglassbox.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -Isrc $< $(B)/asan/libglassbox.a -o $@ $(TESTLIBS) $(LDLIBS)

# Until the trained model is committed, the build makes a small random one so everything runs.
$(MODEL): | $(B)/glassbox
	$(B)/glassbox init-model --random -o $@

# The training corpus: the python3 standard library and the Python sources of permissively licensed
# Debian packages (scripts/corpus.sh installs them); every 20th file and two whole packages held out.
corpus:
	sh scripts/corpus.sh corpus

# Trains the shipped model from scratch (hours on 2 cores; pass e.g. TRAIN_ARGS="--threads 16 --tokens 30M").
# Interrupted runs continue from $(B)/glassbox.ckpt. Idle OpenMP threads sleep rather than spin
# (OMP_WAIT_POLICY=passive): as fast on a quiet machine, much faster on a shared one.
TRAIN_ARGS ?= --tokens 15M
model: $(B)/glassbox corpus
	$(B)/glassbox train-tokenizer --vocab 4096 --pattern gpt2 -o $(B)/vocab.gguf @corpus/train.list
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-passive} \
	  $(B)/glassbox train --tokenizer $(B)/vocab.gguf --train @corpus/train.list \
	  --heldout @corpus/heldout.list --checkpoint $(B)/glassbox.ckpt --resume -o $(MODEL) $(TRAIN_ARGS)
	sh scripts/heldout-report.sh $(B)/glassbox $(MODEL) corpus

run: all
	$(B)/glassbox

unit: $(TESTS) $(MODEL)
	@set -e; for t in $(TESTS); do echo "== $$t"; GLASSBOX_ASSETS=$(CURDIR)/assets $$t; done
asan: $(ATESTS) $(MODEL)
	@set -e; for t in $(ATESTS); do echo "== $$t (asan+ubsan)"; \
	  ASAN_OPTIONS=detect_leaks=1 GLASSBOX_ASSETS=$(CURDIR)/assets $$t; done
clitest: all
	@set -e; for t in tests/*.sh; do echo "== $$t"; GLASSBOX=$(CURDIR)/$(B)/glassbox bash $$t; done

# Fuzzing (clang-14 libFuzzer + ASan + UBSan): `make fuzz` runs every target FUZZ_SECONDS seconds,
# growing build/fuzz/corpus/TARGET from the seeds in tests/fuzz/corpus/TARGET; crashes land in
# build/fuzz/crashes/. `make fuzzregress` replays the seeds and tests/fuzz/crashes/ through gcc
# ASan+UBSan builds of the same targets (part of `make check`).
FUZZCC       ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS  := $(filter-out -Werror,$(CFLAGS)) -O1 -Wno-unknown-pragmas -Wno-pass-failed -fno-omit-frame-pointer
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(B)/fuzz/%)
REPLAYS      := $(FUZZ_TARGETS:%=$(B)/asan/fuzz/replay_%)
$(B)/fuzz/obj/%.o: src/%.c $(wildcard src/*.h) | deps
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(B)/fuzz/libglassbox.a: $(SRCS:src/%.c=$(B)/fuzz/obj/%.o)
	ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libglassbox.a $(wildcard tests/fuzz/*.h)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -Isrc $< $(B)/fuzz/libglassbox.a -o $@ $(LDLIBS)
$(B)/asan/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/asan/libglassbox.a $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -Isrc $< tests/fuzz/replay.c $(B)/asan/libglassbox.a -o $@ $(LDLIBS)
fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do mkdir -p $(B)/fuzz/corpus/$$t $(B)/fuzz/crashes; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; OMP_NUM_THREADS=1 $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(B)/fuzz/crashes/$$t- -print_final_stats=1 $(FUZZ_ARGS) \
	  $(B)/fuzz/corpus/$$t tests/fuzz/corpus/$$t; done
fuzzregress: $(REPLAYS)
	@sh tests/fuzz/regress.sh $(B)/asan/fuzz

check: all unit asan fuzzregress clitest
	@echo "make check: all tests passed"

bench: all
	@sh bench/run.sh

format:
	clang-format -i src/*.c src/*.h tests/*.c

clean:
	rm -rf $(B)
