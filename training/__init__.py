"""skinsight training pipeline: data, models, evaluation, ONNX export, model cards."""
