"""Write wine.csv from the wine data that scikit-learn ships (no download): 178 wines, 13
chemical measurements each, and the cultivar it came from.

The cultivars are named (Barolo, Grignolino, Barbera: the three of the original PARVUS data, in
scikit-learn's class order) so that the example shows string labels being mapped to outputs.

    python examples/own-data/make_wine_csv.py
"""
from pathlib import Path

from sklearn.datasets import load_wine

CULTIVARS = {0: "barolo", 1: "grignolino", 2: "barbera"}

if __name__ == "__main__":
    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    frame["cultivar"] = frame["cultivar"].map(CULTIVARS)
    frame.to_csv(Path(__file__).with_name("wine.csv"), index=False, float_format="%.6g")
