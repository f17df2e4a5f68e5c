"""Shell completion (click's): the script it prints, and app labels completed from modmig.yaml."""

import os
import subprocess
import sys


def complete(cwd, words: str, env_extra=None):
    env = {**os.environ, "_MODMIG_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    env.update(env_extra or {})
    done = subprocess.run([sys.executable, "-c", "from modmig.cli import main; main()"], cwd=cwd, env=env, capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completion_script_is_printed_for_eval():
    env = {**os.environ, "_MODMIG_COMPLETE": "bash_source"}
    done = subprocess.run([sys.executable, "-c", "from modmig.cli import main; main()"], env=env, capture_output=True, text=True)
    assert "_modmig_completion()" in done.stdout and "complete -o nosort -F _modmig_completion modmig" in done.stdout


def test_commands_and_app_labels_complete(sample_project):
    assert "plain,upgrade" in complete(sample_project, "modmig up")
    assert complete(sample_project, "modmig upgrade ") == ["plain,blog", "plain,comments", "plain,users"]
    assert complete(sample_project, "modmig status co") == ["plain,comments"]
    assert complete(sample_project.parent, "modmig status ") == []  # no modmig.yaml: nothing to offer
