"""Training and evaluating the mention classifier offline (``mentionwatch train``).

Nothing here runs in a pipeline: ``classify`` serves a model directory, this
package writes one (``train``) and measures one (``metrics``).
"""
