"""Serving SAVEnVideo with vLLM: an out-of-tree model plugin, loaded through the ``vllm.general_plugins`` entry point.

Nothing here imports vLLM except what ``vllm_plugin.register()`` imports: the plain modules (layout, query text,
video items, media encoder) work and are tested without it, and installing the plugin costs other programs nothing.
"""
