"""Text layer: documents, tokens and sentences, with offsets into the untouched original."""

from engine.text.document import Document, Sentence, make_document
from engine.text.tokens import Token, Tokenizer, get_tokenizer

__all__ = ["Document", "Sentence", "Token", "Tokenizer", "get_tokenizer", "make_document"]
