"""The shipped ENS waves: their files, and their specifications parsed once per test process
(most tests import a wave; parsing the same file each time cost as much as importing it)."""

from catalogue.frameworks.loader import DATA_DIR, load_framework_file

WAVE_2026 = DATA_DIR / "ens-2026.1.yaml"
WAVE_2027 = DATA_DIR / "ens-2027.1.yaml"
SPEC_2026 = load_framework_file(WAVE_2026)
SPEC_2027 = load_framework_file(WAVE_2027)
