# glassbox — see README.md. `make run` and `make check` are the two commands a user needs;
# `make install` (PREFIX, DESTDIR, BINDIR, DATADIR, MANDIR) puts it where every user finds it.

# ---- The sources, by layer (docs/architecture.md). Every folder is named here once; the source
# lists, the header dependencies and the -I lists come from these two lines. The core is everything
# but the terminal (term/) and the command line (cli/): it is compiled without the terminal
# libraries' flags, with only its own folders on the include path and with poisoned <curses.h> and
# <readline/...> headers first, so a core file that reaches for the terminal fails to build; its unit
# tests link the core library alone.
CORE_DIRS  := src/base src/format src/model src/session src/app src/lesson src/ui src/train
FRONT_DIRS := src/term src/cli
SRCDIRS    := $(CORE_DIRS) $(FRONT_DIRS)
MAIN       := src/cli/main.c
CORE_SRCS  := $(wildcard $(CORE_DIRS:%=%/*.c))
FRONT_SRCS := $(filter-out $(MAIN),$(wildcard $(FRONT_DIRS:%=%/*.c)))
SRCS       := $(CORE_SRCS) $(FRONT_SRCS)
HDRS       := $(wildcard $(SRCDIRS:%=%/*.h))

# ---- Where the binary looks for its model and tokenizers (and, beside them, lessons/). A build in
# the tree reads the tree's; `make install` builds again in build/install with the installed path.
ASSETS_DIR = $(CURDIR)/assets

# ---- Flags. The packages' flags are asked of pkg-config when a recipe uses them, not when make
# reads this file: recipes run after `deps` has installed the packages, so the first build on a
# bare machine gets their real flags. Keep every variable that uses them recursive (`=`, not `:=`).
CORE_PKGS  := libpcre2-8 openblas
TERM_PKGS  := ncursesw readline
PKGS       := $(TERM_PKGS) $(CORE_PKGS)
CORE_PKG_CFLAGS = $(shell pkg-config --cflags $(CORE_PKGS) 2>/dev/null)
CORE_PKG_LIBS   = $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null)
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CC         ?= cc
OPT        ?= -O2
# POSIX/X/Open (wcwidth, sigaction) and the usual BSD extras (flock, MAP_ANONYMOUS) are asked for here
# for every layer, and taken out of the packages' flags (ncursesw's add its own), so the core
# compiles the same with or without them.
FEATURES    = -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE
CFLAGS      = -std=c11 -Wall -Wextra -Werror $(OPT) -g -fopenmp -ffp-contract=off $(FEATURES) \
              -DGB_ASSETS_DIR='"$(ASSETS_DIR)"'
CORE_CFLAGS = $(CFLAGS) -I$(B)/poison $(CORE_DIRS:%=-I%) $(CORE_PKG_CFLAGS)
FRONT_CFLAGS = $(CFLAGS) $(SRCDIRS:%=-I%) $(filter-out -D_XOPEN_SOURCE% -D_DEFAULT_SOURCE,$(PKG_CFLAGS))
LDLIBS      = $(PKG_LIBS) -lm -fopenmp
CORE_LDLIBS = $(CORE_PKG_LIBS) -lm -fopenmp
TESTLIBS    = $(shell pkg-config --libs cmocka 2>/dev/null)
# The headers a core file must not include (each one an #error in $(B)/poison).
POISONED   := curses.h ncurses.h ncursesw/curses.h ncursesw/ncurses.h term.h panel.h menu.h form.h \
              readline/readline.h readline/history.h editline/readline.h

B        := build
CORE_OBJS  := $(CORE_SRCS:src/%.c=$(B)/obj/%.o)
FRONT_OBJS := $(FRONT_SRCS:src/%.c=$(B)/obj/%.o)
MAINOBJ    := $(MAIN:src/%.c=$(B)/obj/%.o)
CORELIB    := $(B)/libglassbox-core.a
TESTS      := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
# Unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ATESTS     := $(patsubst tests/%.c,$(B)/asan/tests/%,$(wildcard tests/test_*.c))
ACORE_OBJS := $(CORE_SRCS:src/%.c=$(B)/asan/obj/%.o)
POISON     := $(B)/poison/.made
MODEL    := assets/glassbox.gguf
# The compiler and flags the objects in $(B) were built with (see the rule).
FLAGS    := $(B)/cflags

.PHONY: layers all deps deps-check deps-fuzz deps-model run check unit asan clitest bench format clean \
        model corpus fuzz fuzzregress install uninstall crosscheck FORCE
all: $(B)/glassbox $(MODEL)

# ---- System packages, by what a goal needs (scripts/deps.sh: run, check, fuzz, model). DEPS_CMD
# replaces the installer, e.g. `make DEPS_CMD=:` where the packages come from elsewhere.
DEPS_CMD ?= sh scripts/deps.sh
deps:
	@$(DEPS_CMD) run
	@pkg-config --exists $(PKGS) || { echo "glassbox: pkg-config does not find all of: $(PKGS)" >&2; exit 1; }
deps-check: deps
	@$(DEPS_CMD) check
deps-fuzz: deps
	@$(DEPS_CMD) fuzz
deps-model:
	@$(DEPS_CMD) model

# Rewritten only when the compiler or the flags change (another data path, packages that appeared),
# so that every object, which depends on it, is rebuilt then and only then.
$(FLAGS): FORCE | deps
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(subst ','\'',$(CC) $(CORE_CFLAGS) | $(FRONT_CFLAGS))' >$@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(POISON):
	@set -e; for h in $(POISONED); do mkdir -p $(B)/poison/$$(dirname $$h); \
	  printf '#error "<%s> in the core: only src/term and src/cli may use the terminal (docs/architecture.md)"\n' \
	  $$h >$(B)/poison/$$h; done; touch $@

$(CORE_OBJS): $(B)/obj/%.o: src/%.c $(HDRS) $(FLAGS) | $(POISON)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -c $< -o $@
$(FRONT_OBJS) $(MAINOBJ): $(B)/obj/%.o: src/%.c $(HDRS) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(FRONT_CFLAGS) -c $< -o $@
$(CORELIB): $(CORE_OBJS)
	ar rcs $@ $^
$(B)/glassbox: $(MAINOBJ) $(FRONT_OBJS) $(CORELIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)
# The unit tests see only the core: its include path, its library, its packages.
$(B)/tests/%: tests/%.c $(CORELIB) $(wildcard tests/*.h) | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $< $(CORELIB) -o $@ $(TESTLIBS) $(CORE_LDLIBS)

$(ACORE_OBJS): $(B)/asan/obj/%.o: src/%.c $(HDRS) $(FLAGS) | $(POISON)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN) -c $< -o $@
$(B)/asan/libglassbox-core.a: $(ACORE_OBJS)
	ar rcs $@ $^
$(B)/asan/tests/%: tests/%.c $(B)/asan/libglassbox-core.a $(wildcard tests/*.h) | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN) $< $(B)/asan/libglassbox-core.a -o $@ $(TESTLIBS) $(CORE_LDLIBS)

# The layering holds: a core file cannot include the terminal's headers, and the core library calls
# nothing of ncurses or readline (nm lists what it leaves undefined).
layers: $(CORELIB)
	@for h in curses.h readline/readline.h; do \
	  if printf '#include <%s>\n' $$h | $(CC) $(CORE_CFLAGS) -fsyntax-only -x c - 2>/dev/null; then \
	    echo "layers: a core file can include <$$h>" >&2; exit 1; fi; done
	@if nm -u $(CORELIB) | grep -E ' U (initscr|endwin|newwin|wgetch|wrefresh|setupterm|readline|rl_[a-z_]+|add_history)$$'; then \
	  echo "layers: the core library calls the terminal libraries (above)" >&2; exit 1; fi
	@echo "layers: the core ($(words $(CORE_SRCS)) files in $(words $(CORE_DIRS)) folders) builds without the terminal"

# Until the trained model is committed, the build makes a small random one so everything runs.
$(MODEL): | $(B)/glassbox
	$(B)/glassbox init-model --random -o $@

# The training corpus: the python3 standard library and the Python sources of permissively licensed
# Debian packages (scripts/corpus.sh installs them); every 20th file and two whole packages held out.
corpus: deps-model
	sh scripts/corpus.sh corpus

# Trains the shipped model from scratch in two runs (about 2 h 20 min on 2 cores): 40 M tokens with a
# context of 256, then 12 M more from those weights (--init) with a context of 512 (LONG_ARGS). Pass
# e.g. TRAIN_ARGS="--threads 16 --tokens 40M". Interrupted runs continue from their checkpoints in
# $(B). Idle OpenMP threads sleep rather than spin (OMP_WAIT_POLICY=passive): as fast on a quiet
# machine, much faster on a shared one.
TRAIN_ARGS ?= --tokens 40M
LONG_ARGS ?= --ctx 512 --batch 8 --tokens 12M --lr 1e-3 --warmup 100 --seed 2
model: $(B)/glassbox corpus
	$(B)/glassbox train-tokenizer --vocab 4096 --pattern gpt2 -o $(B)/vocab.gguf @corpus/train.list
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-passive} \
	  $(B)/glassbox train --tokenizer $(B)/vocab.gguf --train @corpus/train.list \
	  --heldout @corpus/heldout.list --checkpoint $(B)/glassbox.ckpt --resume \
	  -o $(B)/glassbox-ctx256.gguf $(TRAIN_ARGS)
	OMP_WAIT_POLICY=$${OMP_WAIT_POLICY:-passive} \
	  $(B)/glassbox train --tokenizer $(B)/glassbox-ctx256.gguf --init $(B)/glassbox-ctx256.gguf \
	  --train @corpus/train.list --heldout @corpus/heldout.list \
	  --checkpoint $(B)/glassbox-ctx512.ckpt --resume -o $(MODEL) $(LONG_ARGS)
	sh scripts/heldout-report.sh $(B)/glassbox $(MODEL) corpus

run: all
	$(B)/glassbox

unit: $(TESTS) $(MODEL)
	@set -e; for t in $(TESTS); do echo "== $$t"; GLASSBOX_ASSETS=$(CURDIR)/assets $$t; done
asan: $(ATESTS) $(MODEL)
	@set -e; for t in $(ATESTS); do echo "== $$t (asan+ubsan)"; \
	  ASAN_OPTIONS=detect_leaks=1 GLASSBOX_ASSETS=$(CURDIR)/assets $$t; done
clitest: all | deps-check
	@set -e; for t in tests/*.sh; do echo "== $$t"; GLASSBOX=$(CURDIR)/$(B)/glassbox bash $$t; done

# Fuzzing (clang-14 libFuzzer + ASan + UBSan): `make fuzz` runs every target FUZZ_SECONDS seconds,
# growing build/fuzz/corpus/TARGET from the seeds in tests/fuzz/corpus/TARGET; crashes land in
# build/fuzz/crashes/. `make fuzzregress` replays the seeds and tests/fuzz/crashes/ through gcc
# ASan+UBSan builds of the same targets (part of `make check`).
FUZZCC       ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS   = $(filter-out -Werror,$(CORE_CFLAGS)) -O1 -Wno-unknown-pragmas -Wno-pass-failed -fno-omit-frame-pointer
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(B)/fuzz/%)
REPLAYS      := $(FUZZ_TARGETS:%=$(B)/asan/fuzz/replay_%)
$(CORE_SRCS:src/%.c=$(B)/fuzz/obj/%.o): $(B)/fuzz/obj/%.o: src/%.c $(HDRS) $(FLAGS) | deps-fuzz $(POISON)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(B)/fuzz/libglassbox-core.a: $(CORE_SRCS:src/%.c=$(B)/fuzz/obj/%.o)
	ar rcs $@ $^
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(B)/fuzz/libglassbox-core.a $(wildcard tests/fuzz/*.h)
	$(FUZZCC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(B)/fuzz/libglassbox-core.a -o $@ $(CORE_LDLIBS)
$(B)/asan/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/asan/libglassbox-core.a $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) $(SAN) $< tests/fuzz/replay.c $(B)/asan/libglassbox-core.a -o $@ $(CORE_LDLIBS)
fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do mkdir -p $(B)/fuzz/corpus/$$t $(B)/fuzz/crashes; \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; OMP_NUM_THREADS=1 $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(B)/fuzz/crashes/$$t- -print_final_stats=1 $(FUZZ_ARGS) \
	  $(B)/fuzz/corpus/$$t tests/fuzz/corpus/$$t; done
fuzzregress: $(REPLAYS)
	@sh tests/fuzz/regress.sh $(B)/asan/fuzz

check: all layers unit asan fuzzregress clitest
	@echo "make check: all tests passed"

bench: all deps-model
	@sh bench/run.sh

# ---- Installing, GNU style: `make install PREFIX=... DESTDIR=...`, `make uninstall` with the same.
# The binary is built again in $(B)/install with the installed data path baked in (GLASSBOX_ASSETS,
# GLASSBOX_MODEL and GLASSBOX_LESSONS still override it); the data keeps the tree's layout under
# $(PKGDATADIR): assets/ (model, card, tokenizers) and lessons/ beside it.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
DATADIR     ?= $(PREFIX)/share
MANDIR      ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
PKGDATADIR   = $(DATADIR)/glassbox
PKGDATA     := $(MODEL) assets/MODEL.md $(wildcard assets/tokenizers/*) lessons/README.md \
               $(wildcard lessons/*.lesson) LICENSE
INSTALLED    = $(BINDIR)/glassbox $(MANDIR)/man1/glassbox.1 $(BASHCOMPDIR)/glassbox \
               $(PKGDATA:%=$(PKGDATADIR)/%)

$(B)/install/glassbox: FORCE | deps
	@$(MAKE) --no-print-directory B=$(B)/install ASSETS_DIR='$(PKGDATADIR)/assets' $@
install: $(B)/install/glassbox
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(B)/install/glassbox $(DESTDIR)$(BINDIR)/glassbox
	install -m 644 docs/glassbox.1 $(DESTDIR)$(MANDIR)/man1/glassbox.1
	install -m 644 scripts/glassbox.bash $(DESTDIR)$(BASHCOMPDIR)/glassbox
	@set -e; for f in $(PKGDATA); do install -D -m 644 $$f $(DESTDIR)$(PKGDATADIR)/$$f; done
	@echo "glassbox: installed in $(DESTDIR)$(PREFIX) (data in $(DESTDIR)$(PKGDATADIR))"
uninstall:
	rm -f $(INSTALLED:%=$(DESTDIR)%)
	@for d in assets/tokenizers assets lessons; do rmdir $(DESTDIR)$(PKGDATADIR)/$$d 2>/dev/null || true; done
	@rmdir $(DESTDIR)$(PKGDATADIR) 2>/dev/null || true

# glassbox against llama.cpp (node-llama-cpp, installed by npm ci in tools/crosscheck on first use):
# optional, never part of the build or `make check`. tools/crosscheck/README.md.
crosscheck: $(B)/glassbox
	@sh tools/crosscheck/run.sh

format:
	clang-format -i $(MAIN) $(SRCS) $(HDRS) tests/*.c

clean:
	rm -rf $(B)
