# The test command of the model's mutant runs, sourced by
# scripts/model-mutants.sh (which runs cargo-mutants with it) and by
# scripts/mutant-recheck.sh (which reruns it on a run's survivors), so the
# two cannot drift apart: the test targets of synfin-model that kill a
# mutant of arrive.rs or system.rs.
MODEL_MUTANT_TESTS=(ci_worlds ghosts reopen_at_once time_wait_reopen)
