"""LightGBM binary boosters -> one ONNX graph of ``TreeEnsembleRegressor`` nodes (ai.onnx.ml), so the served
key-element model runs on the shared ONNX runtime like every other model, without lightgbm at serving."""

from __future__ import annotations

from typing import Any

N_ML_OPSET = 3


def _tree_nodes(tree: dict[str, Any], tree_id: int, acc: dict[str, list]) -> None:
    """Append one LightGBM tree (``dump_model()['tree_info'][i]``) to the flat node lists, depth first."""
    counter = [0]

    def visit(node: dict[str, Any]) -> int:
        node_id = counter[0]
        counter[0] += 1
        acc["nodes_treeids"].append(tree_id)
        acc["nodes_nodeids"].append(node_id)
        if "leaf_value" in node:
            acc["nodes_featureids"].append(0)
            acc["nodes_values"].append(0.0)
            acc["nodes_modes"].append("LEAF")
            acc["nodes_truenodeids"].append(0)
            acc["nodes_falsenodeids"].append(0)
            acc["nodes_missing_value_tracks_true"].append(0)
            acc["target_treeids"].append(tree_id)
            acc["target_nodeids"].append(node_id)
            acc["target_ids"].append(0)
            acc["target_weights"].append(float(node["leaf_value"]))
            return node_id
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node.get('decision_type')!r} (numerical features only)")
        pos = len(acc["nodes_modes"])
        acc["nodes_featureids"].append(int(node["split_feature"]))
        acc["nodes_values"].append(float(node["threshold"]))
        acc["nodes_modes"].append("BRANCH_LEQ")
        acc["nodes_truenodeids"].append(-1)
        acc["nodes_falsenodeids"].append(-1)
        acc["nodes_missing_value_tracks_true"].append(int(bool(node.get("default_left", True))))
        acc["nodes_truenodeids"][pos] = visit(node["left_child"])
        acc["nodes_falsenodeids"][pos] = visit(node["right_child"])
        return node_id

    visit(tree["tree_structure"])


def booster_nodes(booster: Any, input_name: str, output_name: str) -> list:
    """A ``TreeEnsembleRegressor`` node (the raw score: ONNX Runtime's regressor ignores LOGISTIC) and a
    ``Sigmoid``: the booster's probability."""
    from onnx import helper

    dump = booster.dump_model()
    if dump.get("objective", "").split()[0] != "binary":
        raise ValueError(f"only binary boosters are exported, not {dump.get('objective')!r}")
    acc: dict[str, list] = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes", "nodes_truenodeids",
        "nodes_falsenodeids", "nodes_missing_value_tracks_true", "target_treeids", "target_nodeids", "target_ids",
        "target_weights")}
    for i, tree in enumerate(dump["tree_info"]):
        _tree_nodes(tree, i, acc)
    raw = f"{output_name}_raw"
    return [helper.make_node("TreeEnsembleRegressor", [input_name], [raw], domain="ai.onnx.ml", n_targets=1,
                             aggregate_function="SUM", post_transform="NONE", base_values=[0.0],
                             name=f"{output_name}_trees", **acc),
            helper.make_node("Sigmoid", [raw], [output_name], name=f"{output_name}_sigmoid")]


def export_boosters(boosters: dict[str, Any], n_features: dict[str, int], *, doc: str) -> bytes:
    """One graph: input ``<name>`` (batch x features, float32) -> output ``<name>_prob`` (batch x 1) per booster."""
    import onnx
    from onnx import TensorProto, helper

    nodes, inputs, outputs = [], [], []
    for name, booster in boosters.items():
        nodes += booster_nodes(booster, name, f"{name}_prob")
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_" + name, n_features[name]]))
        outputs.append(helper.make_tensor_value_info(f"{name}_prob", TensorProto.FLOAT, ["batch_" + name, 1]))
    graph = helper.make_graph(nodes, "key_elements", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("ai.onnx.ml", N_ML_OPSET)],
                              producer_name="smartinspect", doc_string=doc)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
