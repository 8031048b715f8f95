"""The use-case layer: what a page or the CLI asks for (predictions, checks, comparisons, reports, dataset views),
built from the layers below."""
