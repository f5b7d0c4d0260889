"""Qt-free numerical engine: Hessians, spectra, theory and dynamics of teacher-student networks.

Everything here is pure numpy/scipy so it can be tested headless and driven from the command
line, a script, or the GUI's engine processes alike.
"""
