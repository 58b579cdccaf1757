"""guardlayer"""
