# A cell whose error message carries terminal escape sequences and a bidirectional override.
raise ValueError("\x1b[2J\x1b[31mred\x1b[0m \u202eevil")
