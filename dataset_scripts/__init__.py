"""The SAVEn-Vid / AVBench construction pipeline and the synthetic test-media generator."""
