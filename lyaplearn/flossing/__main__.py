"""``python -m lyaplearn.flossing --bench``: a flossing step's cost against a training step's."""

from ._cost import main

if __name__ == "__main__":
    main()
